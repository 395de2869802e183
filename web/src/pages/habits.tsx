/** The habit list: reorder (move up/down), archive and unarchive, delete (after a confirmation). */
import { useState } from "preact/hooks";
import { api } from "../api";
import { useAction, useResource } from "../hooks";
import { describeSchedule, describeTarget } from "../lib/habit-text";
import { ErrorMessage, Loading, Notice } from "../components/messages";
import { Link } from "../components/link";
import type { Habit } from "../types";

const EVENTS = ["habit.created", "habit.updated", "habit.archived", "habit.deleted"] as const;

export function HabitsPage() {
  const [archived, setArchived] = useState(false);
  const habits = useResource(() => api<Habit[]>("GET", `/habits?archived=${archived}`), [archived], EVENTS);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {archived ? "Archived habits" : "Habits"}
        </h1>
        <Link href="/habits/new" class="button primary">
          New habit
        </Link>
      </div>
      <label class="check">
        <input type="checkbox" checked={archived} onChange={(event) => setArchived(event.currentTarget.checked)} /> Show archived habits
      </label>
      <Notice text={notice} />
      <ErrorMessage error={habits.error} />
      {habits.loading && !habits.data && <Loading what="habits" />}
      {habits.data?.length === 0 && <p class="empty">{archived ? "No archived habits." : "No habits yet."}</p>}
      <ul class="habit-list">
        {habits.data?.map((habit, index) => (
          <HabitRow
            key={habit.id}
            habit={habit}
            first={index === 0}
            last={index === habits.data!.length - 1}
            onChange={async (text) => {
              setNotice(text);
              await habits.reload();
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function HabitRow({
  habit,
  first,
  last,
  onChange,
}: {
  habit: Habit;
  first: boolean;
  last: boolean;
  onChange: (notice: string) => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction(async (change: "up" | "down" | "archive" | "delete") => {
    if (change === "delete") {
      await api("DELETE", `/habits/${habit.id}`);
      await onChange(`Deleted ${habit.name}.`);
      return;
    }
    const body = change === "archive" ? { archived: !habit.archived } : { position: habit.position + (change === "up" ? -1 : 1) };
    await api("PATCH", `/habits/${habit.id}`, { body });
    await onChange(
      change === "archive" ? `${habit.archived ? "Unarchived" : "Archived"} ${habit.name}.` : `Moved ${habit.name} ${change}.`,
    );
  });
  return (
    <li class="habit-row" style={habit.color ? { "--habit-color": habit.color } : undefined}>
      <div class="habit-summary">
        <Link href={`/habits/${habit.id}`} class="habit-name">
          {habit.name}
        </Link>
        <p class="meta">
          <span>{describeSchedule(habit.schedule)}</span>
          <span>{describeTarget(habit.target)}</span>
          {habit.reminders.length > 0 && <span>Reminders {habit.reminders.join(", ")}</span>}
        </p>
      </div>
      <div class="row-actions">
        {!habit.archived && (
          <>
            <button
              type="button"
              aria-label={`Move up: ${habit.name}`}
              disabled={first || action.busy}
              onClick={() => void action.run("up")}
            >
              <span aria-hidden="true">↑</span>
            </button>
            <button
              type="button"
              aria-label={`Move down: ${habit.name}`}
              disabled={last || action.busy}
              onClick={() => void action.run("down")}
            >
              <span aria-hidden="true">↓</span>
            </button>
          </>
        )}
        <Link href={`/habits/${habit.id}/edit`} class="button" aria-label={`Edit: ${habit.name}`}>
          Edit
        </Link>
        <button
          type="button"
          aria-label={`${habit.archived ? "Unarchive" : "Archive"}: ${habit.name}`}
          disabled={action.busy}
          onClick={() => void action.run("archive")}
        >
          {habit.archived ? "Unarchive" : "Archive"}
        </button>
        {!confirming && (
          <button type="button" class="danger" aria-label={`Delete: ${habit.name}`} onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      {confirming && (
        <div class="confirm" role="group" aria-label={`Confirm deleting ${habit.name}`}>
          <p>Delete {habit.name} and all its check-ins? This cannot be undone.</p>
          <button type="button" class="danger" disabled={action.busy} onClick={() => void action.run("delete")}>
            Delete for good
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      <ErrorMessage error={action.error} />
    </li>
  );
}

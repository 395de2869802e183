/**
 * Today: every active habit in position order, whether it is due, its streak; one tap checks
 * it in (`Done: <name>`, pressed once done; again undoes it), a skip, and for a numeric habit a
 * value field (`<name> value`) that the Done button records.
 */
import { useState } from "preact/hooks";
import { api } from "../api";
import { useAction, useResource } from "../hooks";
import { describeStreak, describeTarget, formatNumber, percent } from "../lib/habit-text";
import { ErrorMessage, Loading } from "../components/messages";
import { Link } from "../components/link";
import type { Today, TodayHabit } from "../types";

const EVENTS = ["habit.created", "habit.updated", "habit.archived", "habit.deleted", "checkin.recorded", "checkin.removed"] as const;

export function TodayPage() {
  const today = useResource(() => api<Today>("GET", "/today"), [], EVENTS);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Today
      </h1>
      {today.data && (
        <p class="subtitle">{new Intl.DateTimeFormat("en-GB", { dateStyle: "full", timeZone: "UTC" }).format(new Date(today.data.date))}</p>
      )}
      <ErrorMessage error={today.error} />
      {today.loading && !today.data && <Loading what="today's habits" />}
      {today.data && today.data.habits.length === 0 && (
        <p class="empty">
          No habits yet. <Link href="/habits/new">Create your first habit</Link>.
        </p>
      )}
      {today.data && today.data.habits.length > 0 && (
        <ul class="today-list">
          {today.data.habits.map((item) => (
            <TodayRow key={item.habit.id} item={item} date={today.data!.date} onChange={today.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TodayRow({ item, date, onChange }: { item: TodayHabit; date: string; onChange: () => Promise<void> }) {
  const { habit } = item;
  const numeric = habit.target.type !== "boolean";
  const done = item.status === "done" || item.status === "partial";
  const skipped = item.status === "skipped";
  const [value, setValue] = useState(item.value === null ? "" : formatNumber(item.value));
  const path = `/habits/${habit.id}/checkins/${date}`;
  const action = useAction(async (kind: "done" | "skip") => {
    const pressed = kind === "done" ? done : skipped;
    if (pressed) await api("DELETE", path);
    else if (kind === "skip") await api("PUT", path, { body: { status: "skipped" } });
    else if (numeric) {
      const number = Number(value.replace(",", "."));
      if (value.trim() === "" || !Number.isFinite(number) || number < 0) throw new Error(`Enter how much for ${habit.name} first.`);
      await api("PUT", path, { body: { status: "done", value: number } });
    } else await api("PUT", path, { body: { status: "done" } });
    await onChange();
  });

  return (
    <li class="today-row" style={habit.color ? { "--habit-color": habit.color } : undefined}>
      <div class="today-main">
        <Link href={`/habits/${habit.id}`} class="habit-name">
          {habit.name}
        </Link>
        <p class="meta">
          <span>{item.due ? "Due today" : "Not due today"}</span>
          <span>Streak: {describeStreak(item.streak.current, item.streak.unit)}</span>
          <span>Score {percent(item.score)}</span>
          {numeric && <span>{describeTarget(habit.target)}</span>}
        </p>
      </div>
      <form
        class="today-actions"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run("done");
        }}
      >
        {numeric && (
          <input
            type="number"
            inputMode="decimal"
            min="0"
            step="any"
            class="value-input"
            aria-label={`${habit.name} value`}
            placeholder={habit.target.type !== "boolean" ? (habit.target.unit ?? "") : ""}
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        )}
        <button type="submit" class="done-button" aria-pressed={done} aria-label={`Done: ${habit.name}`} disabled={action.busy}>
          <span aria-hidden="true">{done ? "✓" : "○"}</span>
        </button>
        <button
          type="button"
          class="skip-button"
          aria-pressed={skipped}
          aria-label={`Skip: ${habit.name}`}
          disabled={action.busy}
          onClick={() => void action.run("skip")}
        >
          Skip
        </button>
      </form>
      <ErrorMessage error={action.error} />
    </li>
  );
}

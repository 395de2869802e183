/**
 * A habit's page: its streaks, score and completion rate, a year heatmap of day statuses, a
 * completion chart, and its check-ins, with a form to add, change or backfill one (with a note).
 */
import { useRef, useState } from "preact/hooks";
import { api } from "../api";
import { useAction, useResource } from "../hooks";
import { addDays, daysBetween, formatDate } from "../lib/dates";
import { describeSchedule, describeStreak, describeTarget, formatNumber, percent } from "../lib/habit-text";
import { ErrorMessage, Loading, Notice } from "../components/messages";
import { Heatmap, STATUS_WORDS } from "../components/heatmap";
import { CompletionChart } from "../components/completion-chart";
import { Link } from "../components/link";
import type { Checkin, DayStatus, Habit, Stats, Streak } from "../types";

const EVENTS = ["habit.updated", "habit.archived", "habit.deleted", "checkin.recorded", "checkin.removed"] as const;

interface HabitView {
  habit: Habit;
  streak: Streak;
  stats: Stats;
  checkins: Checkin[];
}

async function loadHabit(id: string, today: string): Promise<HabitView> {
  const from = addDays(today, -364);
  const [habit, streak, stats, checkins] = await Promise.all([
    api<Habit>("GET", `/habits/${id}`),
    api<Streak>("GET", `/habits/${id}/streak`),
    api<Stats>("GET", `/habits/${id}/stats?from=${from}&to=${today}`),
    api<Checkin[]>("GET", `/habits/${id}/checkins?from=${addDays(today, -365)}&to=${today}`),
  ]);
  return { habit, streak, stats, checkins };
}

export function HabitPage({ id, today }: { id: string; today: string }) {
  const view = useResource(() => loadHabit(id, today), [id, today], EVENTS);
  const [picked, setPicked] = useState<string>(today);
  const form = useRef<HTMLFormElement>(null);
  if (!view.data) {
    // The heading sits where the loaded page has it, so it stays the same element (and keeps the focus) once loaded.
    return (
      <section aria-labelledby="page-title">
        <div class="page-head">
          <h1 id="page-title" tabIndex={-1}>
            Habit
          </h1>
        </div>
        <ErrorMessage error={view.error} />
        {view.loading && <Loading what="the habit" />}
      </section>
    );
  }
  const { habit, streak, stats, checkins } = view.data;
  const heatmapFrom = daysBetween(habit.startDate, addDays(today, -364)) > 0 ? addDays(today, -364) : habit.startDate;
  const pick = (date: string) => {
    setPicked(date);
    form.current?.querySelector<HTMLInputElement>("input[type=date]")?.focus();
  };
  return (
    <section aria-labelledby="page-title" style={habit.color ? { "--habit-color": habit.color } : undefined}>
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {habit.name}
        </h1>
        <Link href={`/habits/${habit.id}/edit`} class="button">
          Edit habit
        </Link>
      </div>
      {habit.description && <p class="subtitle">{habit.description}</p>}
      <p class="meta">
        <span>{describeSchedule(habit.schedule)}</span>
        <span>{describeTarget(habit.target)}</span>
        <span>Since {formatDate(habit.startDate)}</span>
        {habit.archived && <span>Archived</span>}
      </p>
      <ErrorMessage error={view.error} />
      <dl class="stat-cards">
        <div>
          <dt>Current streak</dt>
          <dd data-testid="current-streak">{describeStreak(streak.current, streak.unit)}</dd>
        </div>
        <div>
          <dt>Longest streak</dt>
          <dd>{describeStreak(streak.longest, streak.unit)}</dd>
        </div>
        <div>
          <dt>Score</dt>
          <dd>{percent(streak.score)}</dd>
        </div>
        <div>
          <dt>Completion, past year</dt>
          <dd>{percent(stats.completionRate)}</dd>
        </div>
      </dl>

      <h2>Past year</h2>
      {daysBetween(heatmapFrom, today) >= 0 ? (
        <Heatmap name={habit.name} from={heatmapFrom} to={today} days={stats.days} onPick={pick} />
      ) : (
        <p class="hint">This habit starts on {formatDate(habit.startDate)}.</p>
      )}

      <h2>Completion</h2>
      <CompletionChart days={stats.days} today={today} />

      <h2>Check-ins</h2>
      <CheckinForm
        key={picked}
        habit={habit}
        date={picked}
        today={today}
        existing={checkins.find((c) => c.date === picked) ?? null}
        formRef={form}
        onSaved={view.reload}
      />
      <CheckinList habit={habit} checkins={checkins} onEdit={pick} onChange={view.reload} />
    </section>
  );
}

function CheckinForm(props: {
  habit: Habit;
  date: string;
  today: string;
  existing: Checkin | null;
  formRef: { current: HTMLFormElement | null };
  onSaved: () => Promise<void>;
}) {
  const { habit, existing } = props;
  const numeric = habit.target.type !== "boolean";
  const [date, setDate] = useState(props.date);
  const [status, setStatus] = useState<"done" | "skipped">(existing?.status ?? "done");
  const [value, setValue] = useState(existing?.value === null || existing?.value === undefined ? "" : formatNumber(existing.value));
  const [note, setNote] = useState(existing?.note ?? "");
  const [notice, setNotice] = useState<string | null>(null);
  const save = useAction(async () => {
    const body: Record<string, unknown> = { status, note: note.trim() === "" ? null : note };
    if (numeric && status === "done") body.value = Number(value.replace(",", "."));
    await api<Checkin>("PUT", `/habits/${habit.id}/checkins/${date}`, { body });
    setNotice(`Saved ${formatDate(date)}.`);
    await props.onSaved();
  });
  return (
    <form
      ref={props.formRef}
      class="stack checkin-form"
      aria-label="Check-in"
      onSubmit={(event) => {
        event.preventDefault();
        setNotice(null);
        void save.run();
      }}
    >
      <div class="row">
        <label>
          Date
          <input
            type="date"
            required
            min={habit.startDate}
            max={props.today}
            value={date}
            onInput={(event) => setDate(event.currentTarget.value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.currentTarget.value as "done" | "skipped")}>
            <option value="done">Done</option>
            <option value="skipped">Skipped</option>
          </select>
        </label>
        {numeric && status === "done" && (
          <label>
            Value
            <input type="number" min="0" step="any" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
          </label>
        )}
      </div>
      <label>
        Note
        <textarea maxLength={500} rows={2} value={note} onInput={(event) => setNote(event.currentTarget.value)} />
      </label>
      <ErrorMessage error={save.error} />
      <Notice text={notice} />
      <button type="submit" class="primary" disabled={save.busy}>
        Save check-in
      </button>
    </form>
  );
}

function CheckinList({
  habit,
  checkins,
  onEdit,
  onChange,
}: {
  habit: Habit;
  checkins: Checkin[];
  onEdit: (date: string) => void;
  onChange: () => Promise<void>;
}) {
  const remove = useAction(async (date: string) => {
    await api("DELETE", `/habits/${habit.id}/checkins/${date}`);
    await onChange();
  });
  if (checkins.length === 0) return <p class="empty">No check-ins in the past year.</p>;
  return (
    <>
      <ErrorMessage error={remove.error} />
      <ul class="checkin-list">
        {[...checkins].reverse().map((checkin) => (
          <li key={checkin.date}>
            <div>
              <strong>{formatDate(checkin.date)}</strong> <CheckinBadge checkin={checkin} />
              {checkin.value !== null && (
                <span>
                  {" "}
                  {formatNumber(checkin.value)} {habit.target.type !== "boolean" ? habit.target.unit : null}
                </span>
              )}
              {checkin.note && <p class="note">{checkin.note}</p>}
            </div>
            <div class="row-actions">
              <button type="button" aria-label={`Edit check-in ${checkin.date}`} onClick={() => onEdit(checkin.date)}>
                Edit
              </button>
              <button
                type="button"
                class="danger"
                aria-label={`Delete check-in ${checkin.date}`}
                disabled={remove.busy}
                onClick={() => void remove.run(checkin.date)}
              >
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

/** What a check-in made of its day: skipped, done, or done short of the target (partial). */
function CheckinBadge({ checkin }: { checkin: Checkin }) {
  const status: DayStatus = checkin.status === "skipped" ? "skipped" : checkin.completed ? "done" : "partial";
  return <span class={`badge status-${status}`}>{STATUS_WORDS[status]}</span>;
}

/** Create or edit a habit: every schedule and target type, reminders, colour and start date. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { useAction, useResource } from "../hooks";
import { bodyOf, emptyFields, fieldsOf, MAX_REMINDERS, type HabitFields } from "../lib/habit-form";
import { WEEKDAYS } from "../lib/habit-text";
import { ErrorMessage, Loading } from "../components/messages";
import { Link } from "../components/link";
import { WholeNumberField } from "../components/fields";
import { navigate } from "../router";
import type { Habit } from "../types";

export function HabitFormPage({ id, today }: { id?: string; today: string }) {
  const existing = useResource(() => (id ? api<Habit>("GET", `/habits/${id}`) : Promise.resolve(null)), [id]);
  const habit = existing.data ?? null;
  // One heading while the habit loads and after, so it keeps the focus it gets on navigation.
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        {habit ? `Edit ${habit.name}` : id ? "Edit habit" : "New habit"}
      </h1>
      {id && !habit ? (
        <>
          <ErrorMessage error={existing.error} />
          {existing.loading && <Loading what="the habit" />}
        </>
      ) : (
        <HabitForm habit={habit} today={today} />
      )}
    </section>
  );
}

function HabitForm({ habit, today }: { habit: Habit | null; today: string }) {
  const [fields, setFields] = useState<HabitFields>(() => (habit ? fieldsOf(habit, today) : emptyFields(today)));
  const set = <K extends keyof HabitFields>(key: K, value: HabitFields[K]) => setFields((current) => ({ ...current, [key]: value }));
  const save = useAction(async () => {
    const saved = habit
      ? await api<Habit>("PATCH", `/habits/${habit.id}`, { body: bodyOf(fields) })
      : await api<Habit>("POST", "/habits", { body: bodyOf(fields) });
    navigate(`/habits/${saved.id}`);
  });

  return (
    <form
      class="stack habit-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save.run();
      }}
    >
      <label>
        Name
        <input required maxLength={100} value={fields.name} onInput={(event) => set("name", event.currentTarget.value)} />
      </label>
      <label>
        Description
        <textarea maxLength={1000} rows={2} value={fields.description} onInput={(event) => set("description", event.currentTarget.value)} />
      </label>

      <fieldset>
        <legend>Schedule</legend>
        <label>
          Repeats
          <select
            value={fields.scheduleType}
            onChange={(event) => set("scheduleType", event.currentTarget.value as HabitFields["scheduleType"])}
          >
            <option value="daily">Every day</option>
            <option value="weekdays">On chosen weekdays</option>
            <option value="every_n_days">Every few days</option>
            <option value="times_per_week">Times per week</option>
          </select>
        </label>
        {fields.scheduleType === "weekdays" && (
          <fieldset class="weekdays">
            <legend>Days</legend>
            {WEEKDAYS.map((name, index) => (
              <label class="check" key={name}>
                <input
                  type="checkbox"
                  checked={fields.days.includes(index + 1)}
                  onChange={(event) =>
                    set("days", event.currentTarget.checked ? [...fields.days, index + 1] : fields.days.filter((day) => day !== index + 1))
                  }
                />
                {name}
              </label>
            ))}
          </fieldset>
        )}
        {fields.scheduleType === "every_n_days" && (
          <WholeNumberField label="Every how many days" min={1} max={365} value={fields.everyN} onValue={(value) => set("everyN", value)} />
        )}
        {fields.scheduleType === "times_per_week" && (
          <WholeNumberField
            label="Times per week"
            min={1}
            max={7}
            value={fields.timesPerWeek}
            onValue={(value) => set("timesPerWeek", value)}
          />
        )}
      </fieldset>

      <fieldset>
        <legend>Target</legend>
        <label>
          Kind
          <select value={fields.targetType} onChange={(event) => set("targetType", event.currentTarget.value as HabitFields["targetType"])}>
            <option value="boolean">Yes or no</option>
            <option value="at_least">At least an amount</option>
            <option value="at_most">At most an amount</option>
          </select>
        </label>
        {fields.targetType !== "boolean" && (
          <div class="row">
            <label>
              Target value
              <input
                type="number"
                min="0"
                step="any"
                required
                value={fields.targetValue}
                onInput={(event) => set("targetValue", event.currentTarget.value)}
              />
            </label>
            <label>
              Unit
              <input
                maxLength={30}
                placeholder="glasses, km, pages…"
                value={fields.unit}
                onInput={(event) => set("unit", event.currentTarget.value)}
              />
            </label>
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>Reminders</legend>
        {fields.reminders.length === 0 && <p class="hint">No reminders.</p>}
        {fields.reminders.map((time, index) => (
          <div class="row" key={index}>
            <label>
              Reminder {index + 1}
              <input
                type="time"
                required
                value={time}
                onInput={(event) =>
                  set(
                    "reminders",
                    fields.reminders.map((other, at) => (at === index ? event.currentTarget.value : other)),
                  )
                }
              />
            </label>
            <button
              type="button"
              onClick={() =>
                set(
                  "reminders",
                  fields.reminders.filter((_, at) => at !== index),
                )
              }
            >
              Remove reminder {index + 1}
            </button>
          </div>
        ))}
        {fields.reminders.length < MAX_REMINDERS && (
          <button type="button" onClick={() => set("reminders", [...fields.reminders, "08:00"])}>
            Add reminder
          </button>
        )}
      </fieldset>

      <div class="row">
        <label class="check">
          <input type="checkbox" checked={fields.useColor} onChange={(event) => set("useColor", event.currentTarget.checked)} /> Use a
          colour
        </label>
        {fields.useColor && (
          <label>
            Colour
            <input type="color" value={fields.color} onInput={(event) => set("color", event.currentTarget.value)} />
          </label>
        )}
      </div>
      <label>
        Start date
        <input type="date" required value={fields.startDate} onInput={(event) => set("startDate", event.currentTarget.value)} />
      </label>
      <p class="hint">Set it earlier to fill in past days.</p>

      <ErrorMessage error={save.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={save.busy}>
          {habit ? "Save changes" : "Create habit"}
        </button>
        <Link href={habit ? `/habits/${habit.id}` : "/habits"} class="button">
          Cancel
        </Link>
      </div>
    </form>
  );
}

/** The habit form's fields, filled from a habit and turned back into the API's body. */
import type { Habit, Schedule, Target } from "../types";

export interface HabitFields {
  name: string;
  description: string;
  useColor: boolean;
  color: string;
  scheduleType: Schedule["type"];
  days: number[];
  everyN: string;
  timesPerWeek: string;
  targetType: Target["type"];
  targetValue: string;
  unit: string;
  reminders: string[];
  startDate: string;
}

export const MAX_REMINDERS = 5;

export function emptyFields(today: string): HabitFields {
  return {
    name: "",
    description: "",
    useColor: false,
    color: "#2f6f4f",
    scheduleType: "daily",
    days: [1, 2, 3, 4, 5],
    everyN: "2",
    timesPerWeek: "3",
    targetType: "boolean",
    targetValue: "1",
    unit: "",
    reminders: [],
    startDate: today,
  };
}

export function fieldsOf(habit: Habit, today: string): HabitFields {
  const fields = emptyFields(today);
  const { schedule, target } = habit;
  return {
    ...fields,
    name: habit.name,
    description: habit.description,
    useColor: habit.color !== null,
    color: habit.color ?? fields.color,
    scheduleType: schedule.type,
    days: schedule.type === "weekdays" ? schedule.days : fields.days,
    everyN: schedule.type === "every_n_days" ? String(schedule.n) : fields.everyN,
    timesPerWeek: schedule.type === "times_per_week" ? String(schedule.times) : fields.timesPerWeek,
    targetType: target.type,
    targetValue: target.type === "boolean" ? fields.targetValue : String(target.value),
    unit: target.type === "boolean" ? "" : (target.unit ?? ""),
    reminders: habit.reminders,
    startDate: habit.startDate,
  };
}

/** The body of POST /habits or PATCH /habits/:id; the server validates it (its 422 names the field). */
export function bodyOf(fields: HabitFields): Record<string, unknown> {
  const schedule: Schedule =
    fields.scheduleType === "weekdays"
      ? { type: "weekdays", days: [...fields.days].sort((a, b) => a - b) }
      : fields.scheduleType === "every_n_days"
        ? { type: "every_n_days", n: Number(fields.everyN) }
        : fields.scheduleType === "times_per_week"
          ? { type: "times_per_week", times: Number(fields.timesPerWeek) }
          : { type: "daily" };
  const target: Target =
    fields.targetType === "boolean"
      ? { type: "boolean" }
      : { type: fields.targetType, value: Number(fields.targetValue.replace(",", ".")), unit: fields.unit.trim() };
  return {
    name: fields.name.trim(),
    description: fields.description,
    color: fields.useColor ? fields.color.toLowerCase() : null,
    schedule,
    target,
    reminders: fields.reminders.filter((time) => time !== ""),
    startDate: fields.startDate,
  };
}

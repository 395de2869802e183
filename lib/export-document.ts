/**
 * The export document (docs/contract.md, "Export and import") and the check of one sent back for
 * import: every part is checked before anything is stored, and the first bad part is named by
 * its path (`habits[3].checkins[10].date`), so an import is all or nothing. Pure: `today` (the
 * user's local date) is an input. Loop backups (lib/loop-import.ts) pass the same check.
 */
import { isValidDate, type LocalDate } from "./dates";
import { EARLIEST_START_DATE, normalizeSchedule, scheduleProblem, targetProblem, type Schedule, type Target } from "./habit-rules";
import { assertCheckinFits } from "./checkin-rules";
import type { ImportCheckin, ImportHabit } from "./loop-import";
import { RuleViolation } from "./rule-violation";

export const EXPORT_FORMAT = "habit-tracker-export";
export const EXPORT_VERSION = 1;

export interface ExportHabit extends ImportHabit {
  position: number;
  createdAt: string;
}

export interface ExportNotification {
  type: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  user: { email: string; displayName: string; timezone: string; createdAt: string };
  habits: ExportHabit[];
  notifications: ExportNotification[];
}

/** A habit as an import hands it to `habits` (its check-ins go to `tracking`). */
export type ImportedHabit = Omit<ImportHabit, "checkins">;

/** What an export is made of, as the services hold it. */
export interface ExportParts {
  account: ExportDocument["user"];
  /** In position order. */
  habits: Array<Omit<ExportHabit, "checkins"> & { id: string }>;
  checkins: Array<ImportCheckin & { habitId: string }>;
  notifications: ExportNotification[];
  exportedAt: string;
}

/** The export document of these parts: each habit with its check-ins by date. */
export function buildExport(parts: ExportParts): ExportDocument {
  const byHabit = new Map<string, ImportCheckin[]>();
  for (const { habitId, date, status, value, note } of parts.checkins) {
    const list = byHabit.get(habitId) ?? [];
    list.push({ date, status, value, note });
    byHabit.set(habitId, list);
  }
  const { email, displayName, timezone, createdAt } = parts.account;
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: parts.exportedAt,
    user: { email, displayName, timezone, createdAt },
    habits: parts.habits.map(({ id, name, description, color, schedule, target, reminders, startDate, archived, position, createdAt }) => ({
      name,
      description,
      color,
      schedule,
      target,
      reminders,
      startDate,
      archived,
      position,
      createdAt,
      checkins: (byHabit.get(id) ?? []).sort((a, b) => (a.date < b.date ? -1 : 1)),
    })),
    notifications: parts.notifications.map(({ type, title, body, createdAt, readAt }) => ({ type, title, body, createdAt, readAt })),
  };
}

export interface ImportLimits {
  /** Room left for habits in the account. */
  maxHabits: number;
  /** Check-ins per habit. */
  maxCheckinsPerHabit: number;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
const HABIT_FIELDS = new Set([
  "name",
  "description",
  "color",
  "schedule",
  "target",
  "reminders",
  "startDate",
  "archived",
  "position",
  "createdAt",
  "checkins",
]);
const CHECKIN_FIELDS = new Set(["date", "status", "value", "note"]);

const fail = (path: string, rule: string, message: string): never => {
  throw new RuleViolation(path, rule, message);
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function onlyFields(value: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) fail(`${path}.${key}`, "unknownField", "Unknown field.");
}

function text(value: unknown, path: string, min: number, max: number): string {
  if (typeof value !== "string") return fail(path, "string", "Must be a string.");
  const chars = Array.from(value).length;
  if (chars < min || chars > max) fail(path, "stringLength", `Must be ${min}..${max} characters long.`);
  return value;
}

function checkinOf(value: unknown, path: string, habit: { startDate: LocalDate; target: Target }, today: LocalDate): ImportCheckin {
  if (!isObject(value)) return fail(path, "object", "Must be an object.");
  onlyFields(value, CHECKIN_FIELDS, path);
  if (typeof value.date !== "string" || !isValidDate(value.date)) fail(`${path}.date`, "date", "Must be a date YYYY-MM-DD.");
  const status = value.status ?? "done";
  if (status !== "done" && status !== "skipped") fail(`${path}.status`, "enum", 'Must be "done" or "skipped".');
  const raw = value.value ?? null;
  if (raw !== null && (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0 || raw > 1e9))
    fail(`${path}.value`, "number", "Must be a number 0..1e9 or null.");
  const note = value.note ?? null;
  if (note !== null) text(note, `${path}.note`, 0, 500);
  const checkin = {
    date: value.date as LocalDate,
    status: status as ImportCheckin["status"],
    value: raw as number | null,
    note: note as string | null,
  };
  try {
    assertCheckinFits(checkin, habit, today);
  } catch (err) {
    if (err instanceof RuleViolation) fail(`${path}.${err.field}`, err.rule, err.message);
    throw err;
  }
  return checkin;
}

function habitOf(value: unknown, path: string, today: LocalDate, limits: ImportLimits): ImportHabit {
  if (!isObject(value)) return fail(path, "object", "Must be an object.");
  onlyFields(value, HABIT_FIELDS, path);
  const name = text(value.name, `${path}.name`, 1, 100).trim();
  if (name === "") fail(`${path}.name`, "stringLength", "Must not be blank.");
  const description = value.description === undefined ? "" : text(value.description, `${path}.description`, 0, 1000);
  const color = value.color ?? null;
  if (color !== null && (typeof color !== "string" || !COLOR.test(color))) fail(`${path}.color`, "color", 'Must be "#rrggbb" or null.');
  const schedule = (value.schedule ?? { type: "daily" }) as Schedule;
  const scheduleIssue = scheduleProblem(schedule);
  if (scheduleIssue) fail(`${path}.schedule`, "schedule", scheduleIssue);
  const target = (value.target ?? { type: "boolean" }) as Target;
  const targetIssue = targetProblem(target);
  if (targetIssue) fail(`${path}.target`, "target", targetIssue);
  const reminders = value.reminders ?? [];
  if (!Array.isArray(reminders) || reminders.length > 5) fail(`${path}.reminders`, "array", "Must be up to 5 local times HH:MM.");
  (reminders as unknown[]).forEach((time, i) => {
    if (typeof time !== "string" || !TIME.test(time)) fail(`${path}.reminders[${i}]`, "time", "Must be a local time HH:MM.");
  });
  if (new Set(reminders as string[]).size !== (reminders as string[]).length)
    fail(`${path}.reminders`, "unique", "Must not repeat a time.");
  const startDate = value.startDate;
  if (typeof startDate !== "string" || !isValidDate(startDate) || startDate < EARLIEST_START_DATE)
    fail(`${path}.startDate`, "date", `Must be a date YYYY-MM-DD from ${EARLIEST_START_DATE}.`);
  const archived = value.archived ?? false;
  if (typeof archived !== "boolean") fail(`${path}.archived`, "boolean", "Must be true or false.");
  if (value.position !== undefined && !(Number.isInteger(value.position) && (value.position as number) >= 0))
    fail(`${path}.position`, "integer", "Must be a whole number ≥ 0.");
  const checkins = value.checkins ?? [];
  if (!Array.isArray(checkins)) return fail(`${path}.checkins`, "array", "Must be an array.");
  if (checkins.length > limits.maxCheckinsPerHabit)
    fail(`${path}.checkins`, "arrayMax", `At most ${limits.maxCheckinsPerHabit} check-ins per habit.`);
  const rules = { startDate: startDate as LocalDate, target };
  const seen = new Set<string>();
  const imported = checkins.map((checkin, i) => {
    const one = checkinOf(checkin, `${path}.checkins[${i}]`, rules, today);
    if (seen.has(one.date)) fail(`${path}.checkins[${i}].date`, "unique", "Another check-in of this habit has this date.");
    seen.add(one.date);
    return one;
  });
  return {
    name,
    description,
    color: color as string | null,
    schedule: normalizeSchedule(schedule),
    target,
    reminders: [...(reminders as string[])].sort(),
    startDate: startDate as LocalDate,
    archived: archived as boolean,
    checkins: imported.sort((a, b) => (a.date < b.date ? -1 : 1)),
  };
}

/**
 * The habits of an export document sent for import, in the document's position order, checked
 * whole; notifications are not imported (and not checked beyond being a list).
 * @throws RuleViolation naming the path of the first bad part
 */
export function habitsToImport(document: unknown, today: LocalDate, limits: ImportLimits): ImportHabit[] {
  if (!isObject(document)) return fail("document", "object", "Must be an export document (a JSON object).");
  if (document.format !== EXPORT_FORMAT) fail("format", "format", `Must be "${EXPORT_FORMAT}".`);
  if (document.version !== EXPORT_VERSION) fail("version", "version", `Must be ${EXPORT_VERSION}.`);
  if (!Array.isArray(document.habits)) return fail("habits", "array", "Must be an array.");
  if (document.notifications !== undefined && !Array.isArray(document.notifications)) fail("notifications", "array", "Must be an array.");
  return checkedHabits(document.habits, today, limits, "habits");
}

/** `habits` checked as importable (also what lib/loop-import.ts made), with their check-ins. */
export function checkedHabits(habits: readonly unknown[], today: LocalDate, limits: ImportLimits, path = "habits"): ImportHabit[] {
  if (habits.length > limits.maxHabits) fail(path, "arrayMax", `The account has room for ${limits.maxHabits} more habits.`);
  const checked = habits.map((habit, i) => ({ habit: habitOf(habit, `${path}[${i}]`, today, limits), position: positionOf(habit, i) }));
  return checked.sort((a, b) => a.position - b.position).map(({ habit }) => habit);
}

function positionOf(habit: unknown, index: number): number {
  const position = isObject(habit) ? habit.position : undefined;
  // Missing positions (and ties: the sort is stable) keep the document's order.
  return typeof position === "number" ? position : index;
}

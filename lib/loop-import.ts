/**
 * A Loop Habit Tracker full backup (iSoron/uhabits, "Export full backup") mapped to this project's
 * import shape, for `POST /me/import/loop`. Pure: no clock, no I/O; `today` is an input. The rows
 * come from src/loop-backup.ts, which reads the SQLite file; everything here only decides what each
 * row means. Whatever the backup holds, the result passes `scheduleProblem` and `targetProblem`
 * and the contract's text limits: what does not fit is clamped, cut or dropped, and each such
 * change is said in a warning naming the habit.
 */
import { fromDay, type LocalDate } from "./dates";
import { EARLIEST_START_DATE, type Schedule, type Target } from "./habit-rules";

/**
 * One row of Loop's `Habits` table (field names as in Loop's HabitRecord.kt). A column an older
 * Loop schema lacks reads as the default Loop's own migration gives it, or null when it has none.
 */
export interface LoopHabitRow {
  id: number;
  name: string | null;
  description: string | null;
  /** Since Loop's migration 23; before it, the question was kept in `description`. */
  question: string | null;
  freqNum: number | null;
  freqDen: number | null;
  /** 0 yes-or-no, 1 numeric (HabitType.kt). */
  type: number | null;
  /** 0 at least, 1 at most (NumericalHabitType.kt). */
  targetType: number | null;
  targetValue: number | null;
  unit: string | null;
  archived: number | null;
  position: number | null;
  reminderHour: number | null;
  reminderMin: number | null;
  /** Weekday bit mask (WeekdayList.kt); 127 is every day. */
  reminderDays: number | null;
  /** An index into Loop's palette; not imported. */
  color: number | null;
}

/** One row of Loop's `Repetitions` table: a day's entry of one habit. */
export interface LoopRepetitionRow {
  habitId: number | null;
  /** The local date's midnight in UTC milliseconds (Timestamp.kt). */
  timestamp: number | null;
  /** Entry.kt's states for yes-or-no habits; thousandths of the amount for numeric ones. */
  value: number | null;
  notes: string | null;
}

export interface LoopBackup {
  habits: LoopHabitRow[];
  /** In the order Loop wrote them (by row id): for a date given twice, the first one counts. */
  repetitions: LoopRepetitionRow[];
}

export interface ImportCheckin {
  date: LocalDate;
  status: "done" | "skipped";
  value: number | null;
  note: string | null;
}

export interface ImportHabit {
  name: string;
  description: string;
  color: string | null;
  schedule: Schedule;
  target: Target;
  reminders: string[];
  startDate: LocalDate;
  archived: boolean;
  checkins: ImportCheckin[];
}

export interface LoopImport {
  /** In Loop's `position` order. */
  habits: ImportHabit[];
  /** Human-readable, each naming its habit. */
  warnings: string[];
}

/** Loop's habit types (HabitType.kt) and numeric target kinds (NumericalHabitType.kt). */
const LOOP_YES_NO = 0;
const LOOP_NUMERICAL = 1;
const LOOP_AT_LEAST = 0;
const LOOP_AT_MOST = 1;

/** The entry values of a yes-or-no habit that become check-ins (Entry.kt); the others (no, auto, unknown) do not. */
const LOOP_YES_MANUAL = 2;
const LOOP_SKIP = 3;

/** Loop keeps a numeric habit's amounts as whole thousandths. */
const LOOP_VALUE_SCALE = 1000;

/** WeekdayList.EVERY_DAY. */
const LOOP_EVERY_WEEKDAY = 127;

const MS_PER_DAY = 86_400_000;
const FIRST_TIMESTAMP = Date.parse(`${EARLIEST_START_DATE}T00:00:00Z`);
const LAST_TIMESTAMP = Date.parse("9999-12-31T00:00:00Z");

/** The contract's limits (docs/contract.md, sections 3 and 4). */
const MAX_NAME_LENGTH = 100;
const MAX_DESCRIPTION_LENGTH = 1000;
const MAX_NOTE_LENGTH = 500;
const MAX_UNIT_LENGTH = 30;
const MAX_EVERY_N_DAYS = 365;
const MAX_TIMES_PER_WEEK = 7;
const MAX_VALUE = 1e9;

const UNTITLED = "Untitled";

/** Maps a whole backup: habits in `position` order (then by id), repetitions of unknown habits ignored. */
export function mapLoopBackup(backup: LoopBackup, today: LocalDate): LoopImport {
  const warnings: string[] = [];
  const repetitionsByHabit = groupByHabit(backup.repetitions);
  const habits = [...backup.habits].sort(byPosition).map((row) => mapHabit(row, repetitionsByHabit.get(row.id) ?? [], today, warnings));
  return { habits, warnings };
}

function groupByHabit(repetitions: LoopRepetitionRow[]): Map<number, LoopRepetitionRow[]> {
  const byHabit = new Map<number, LoopRepetitionRow[]>();
  for (const repetition of repetitions) {
    if (repetition.habitId === null) continue;
    const list = byHabit.get(repetition.habitId);
    if (list) list.push(repetition);
    else byHabit.set(repetition.habitId, [repetition]);
  }
  return byHabit;
}

/** Position ascending, a missing position last, ties by Loop's id. */
function byPosition(a: LoopHabitRow, b: LoopHabitRow): number {
  const positionA = a.position ?? Number.POSITIVE_INFINITY;
  const positionB = b.position ?? Number.POSITIVE_INFINITY;
  return positionA === positionB ? a.id - b.id : positionA < positionB ? -1 : 1;
}

type Warn = (text: string) => void;

function mapHabit(row: LoopHabitRow, repetitions: LoopRepetitionRow[], today: LocalDate, warnings: string[]): ImportHabit {
  const name = nameOf(row, warnings);
  const warn: Warn = (text) => warnings.push(`"${name}": ${text}`);
  // In this order, so a habit's warnings read in the order of its fields.
  const description = descriptionOf(row, warn);
  const schedule = scheduleOf(row, warn);
  const target = targetOf(row, warn);
  const reminders = remindersOf(row, warn);
  const checkins = checkinsOf(repetitions, target.type !== "boolean", today, warn);
  const startDate = checkins.length > 0 ? checkins[0].date : today;
  const archived = row.archived !== null && row.archived !== 0;
  return { name, description, color: null, schedule, target, reminders, startDate, archived, checkins };
}

/** The name trimmed, at most 100 characters; an empty one becomes "Untitled". */
function nameOf(row: LoopHabitRow, warnings: string[]): string {
  const name = (row.name ?? "").trim();
  if (name === "") {
    warnings.push(`"${UNTITLED}": Loop habit ${row.id} has no name; imported as "${UNTITLED}"`);
    return UNTITLED;
  }
  if (name.length <= MAX_NAME_LENGTH) return name;
  const cutName = cutText(name, MAX_NAME_LENGTH).trimEnd();
  warnings.push(`"${cutName}": the name was cut to ${MAX_NAME_LENGTH} characters`);
  return cutName;
}

/** Loop's description, or its question when the description is empty; at most 1,000 characters. */
function descriptionOf(row: LoopHabitRow, warn: Warn): string {
  const description = nonBlank(row.description) ?? nonBlank(row.question) ?? "";
  if (description.length <= MAX_DESCRIPTION_LENGTH) return description;
  warn(`the description was cut to ${MAX_DESCRIPTION_LENGTH} characters`);
  return cutText(description, MAX_DESCRIPTION_LENGTH);
}

const nonBlank = (text: string | null) => (text === null || text.trim() === "" ? null : text);

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * A Loop frequency (`num` times in `den` days, both whole and positive) as a schedule, in lowest
 * terms: 1/1 daily, 1/n every n days (to 365), k/7 k times per week, anything else the nearest
 * times per week (1 to 7). `exact` is false when the schedule only approximates the frequency.
 */
export function scheduleForLoopFrequency(num: number, den: number): { schedule: Schedule; exact: boolean } {
  const divisor = gcd(num, den);
  const [lowNum, lowDen] = [num / divisor, den / divisor];
  if (lowNum === 1 && lowDen === 1) return { schedule: { type: "daily" }, exact: true };
  if (lowNum === 1) return { schedule: { type: "every_n_days", n: Math.min(lowDen, MAX_EVERY_N_DAYS) }, exact: lowDen <= MAX_EVERY_N_DAYS };
  if (lowDen === 7 && lowNum < 7) return { schedule: { type: "times_per_week", times: lowNum }, exact: true };
  const times = Math.min(MAX_TIMES_PER_WEEK, Math.max(1, Math.round((7 * lowNum) / lowDen)));
  return { schedule: { type: "times_per_week", times }, exact: false };
}

const isWholeNumber = (value: number | null, min: number, max: number): value is number =>
  value !== null && Number.isInteger(value) && value >= min && value <= max;

function scheduleOf(row: LoopHabitRow, warn: Warn): Schedule {
  const { freqNum: num, freqDen: den } = row;
  if (!isWholeNumber(num, 1, Number.MAX_SAFE_INTEGER) || !isWholeNumber(den, 1, Number.MAX_SAFE_INTEGER)) {
    warn(`Loop's frequency ${num}/${den} is not a valid frequency; imported as daily`);
    return { type: "daily" };
  }
  const { schedule, exact } = scheduleForLoopFrequency(num, den);
  if (!exact) {
    warn(`Loop's frequency ${num}/${den} (${num} times in ${den} days) has no equal here; imported as ${describeSchedule(schedule)}`);
  }
  return schedule;
}

function describeSchedule(schedule: Schedule): string {
  switch (schedule.type) {
    case "daily":
      return "daily";
    case "weekdays":
      return `on ISO weekdays ${schedule.days.join(", ")}`;
    case "every_n_days":
      return `every ${schedule.n} days`;
    case "times_per_week":
      return `${schedule.times} ${schedule.times === 1 ? "time" : "times"} per week`;
  }
}

/** Numeric habits (type 1) become at_least or at_most with Loop's target and unit; the others boolean. */
function targetOf(row: LoopHabitRow, warn: Warn): Target {
  if (row.type !== LOOP_NUMERICAL) {
    if (row.type !== null && row.type !== LOOP_YES_NO) warn(`Loop's habit type ${row.type} is unknown; imported as a yes-or-no habit`);
    return { type: "boolean" };
  }
  if (row.targetType !== null && row.targetType !== LOOP_AT_LEAST && row.targetType !== LOOP_AT_MOST) {
    warn(`Loop's target type ${row.targetType} is unknown; imported as "at least"`);
  }
  const type = row.targetType === LOOP_AT_MOST ? "at_most" : "at_least";
  const value = targetValueOf(row.targetValue, warn);
  const unit = unitOf(row.unit, warn);
  return unit === "" ? { type, value } : { type, value, unit };
}

function targetValueOf(value: number | null, warn: Warn): number {
  if (value === null || !Number.isFinite(value) || value < 0) {
    warn(`the target value ${value} is not a number from 0 to ${MAX_VALUE}; imported as 0`);
    return 0;
  }
  if (value <= MAX_VALUE) return value;
  warn(`the target value ${value} is above ${MAX_VALUE}; imported as ${MAX_VALUE}`);
  return MAX_VALUE;
}

/** Loop's unit, at most 30 characters; an empty one is left out. */
function unitOf(unit: string | null, warn: Warn): string {
  if (unit === null || unit.length <= MAX_UNIT_LENGTH) return unit ?? "";
  warn(`the unit was cut to ${MAX_UNIT_LENGTH} characters`);
  return cutText(unit, MAX_UNIT_LENGTH);
}

/** Loop's one reminder as "HH:MM" when set (hour not null and not negative); its weekdays are not kept. */
function remindersOf(row: LoopHabitRow, warn: Warn): string[] {
  const { reminderHour: hour, reminderMin: minute } = row;
  if (hour === null || minute === null || hour < 0) return [];
  if (!isWholeNumber(hour, 0, 23) || !isWholeNumber(minute, 0, 59)) {
    warn(`the reminder at hour ${hour}, minute ${minute} is not a valid time and was not imported`);
    return [];
  }
  if (row.reminderDays !== null && row.reminderDays !== LOOP_EVERY_WEEKDAY) {
    warn("the reminder was set for some weekdays only in Loop; here it comes on every day the habit is due");
  }
  return [`${twoDigits(hour)}:${twoDigits(minute)}`];
}

const twoDigits = (value: number) => String(value).padStart(2, "0");

/** The UTC date of a Loop timestamp, or null when it is not one from 1900-01-01 to 9999-12-31. */
function dateOf(timestamp: number | null): LocalDate | null {
  if (timestamp === null || !Number.isFinite(timestamp) || timestamp < FIRST_TIMESTAMP || timestamp >= LAST_TIMESTAMP + MS_PER_DAY)
    return null;
  return fromDay(Math.floor(timestamp / MS_PER_DAY));
}

/** What one habit's repetitions turned into, and what was left out, counted for the warnings. */
interface CheckinTally {
  invalidDate: number;
  future: number;
  repeatedDate: number;
  cutNotes: number;
  notesWithoutCheckin: number;
  cappedValues: number;
}

/**
 * A habit's check-ins, by date: yes-or-no entries 2 (done by hand) and 3 (skip), numeric entries
 * above 0 (thousandths); nothing after `today`; for a date given twice, the first repetition only.
 */
function checkinsOf(repetitions: LoopRepetitionRow[], numeric: boolean, today: LocalDate, warn: Warn): ImportCheckin[] {
  const tally: CheckinTally = { invalidDate: 0, future: 0, repeatedDate: 0, cutNotes: 0, notesWithoutCheckin: 0, cappedValues: 0 };
  const seenDates = new Set<LocalDate>();
  const checkins: ImportCheckin[] = [];
  for (const repetition of repetitions) {
    const date = dateOf(repetition.timestamp);
    if (date === null) tally.invalidDate++;
    else if (date > today) tally.future++;
    else if (seenDates.has(date)) tally.repeatedDate++;
    else {
      seenDates.add(date);
      const checkin = numeric ? numericCheckin(date, repetition, tally) : booleanCheckin(date, repetition);
      if (checkin) checkins.push({ ...checkin, note: noteOf(repetition.notes, tally) });
      else if (nonBlank(repetition.notes) !== null) tally.notesWithoutCheckin++;
    }
  }
  warnAboutTally(tally, today, warn);
  return checkins.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

type CheckinWithoutNote = Omit<ImportCheckin, "note">;

function booleanCheckin(date: LocalDate, repetition: LoopRepetitionRow): CheckinWithoutNote | null {
  if (repetition.value === LOOP_YES_MANUAL) return { date, status: "done", value: null };
  if (repetition.value === LOOP_SKIP) return { date, status: "skipped", value: null };
  return null;
}

function numericCheckin(date: LocalDate, repetition: LoopRepetitionRow, tally: CheckinTally): CheckinWithoutNote | null {
  if (repetition.value === null || !(repetition.value > 0)) return null;
  const value = repetition.value / LOOP_VALUE_SCALE;
  if (value <= MAX_VALUE) return { date, status: "done", value };
  tally.cappedValues++;
  return { date, status: "done", value: MAX_VALUE };
}

/** Loop writes "" for no note; a long one is cut to 500 characters. */
function noteOf(notes: string | null, tally: CheckinTally): string | null {
  if (notes === null || notes === "") return null;
  if (notes.length <= MAX_NOTE_LENGTH) return notes;
  tally.cutNotes++;
  return cutText(notes, MAX_NOTE_LENGTH);
}

const counted = (count: number, singular: string, plural: string) => `${count} ${count === 1 ? singular : plural}`;

function warnAboutTally(tally: CheckinTally, today: LocalDate, warn: Warn): void {
  const entries = (count: number) => counted(count, "entry", "entries");
  if (tally.invalidDate > 0) warn(`dropped ${entries(tally.invalidDate)} dated before ${EARLIEST_START_DATE} or not dated at all`);
  if (tally.future > 0) warn(`dropped ${entries(tally.future)} dated after today (${today})`);
  if (tally.repeatedDate > 0) warn(`dropped ${entries(tally.repeatedDate)} on a date already imported`);
  if (tally.cutNotes > 0) warn(`cut ${counted(tally.cutNotes, "note", "notes")} to ${MAX_NOTE_LENGTH} characters`);
  if (tally.notesWithoutCheckin > 0) {
    warn(`dropped ${counted(tally.notesWithoutCheckin, "note", "notes")} on days without a check-in`);
  }
  if (tally.cappedValues > 0) warn(`imported ${counted(tally.cappedValues, "value", "values")} above ${MAX_VALUE} as ${MAX_VALUE}`);
}

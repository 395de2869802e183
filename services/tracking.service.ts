/**
 * Check-ins, streaks, stats and the day's dashboard (DESIGN.md §3–4). A check-in is keyed by
 * (habit, local date); each write and its events (`checkin.recorded` / `checkin.removed`
 * carrying the new streak, and `streak.milestone` once per habit, milestone and run) commit in
 * one transaction through the outbox. Streaks come from lib/progress.ts over the habit's raw
 * check-ins and are cached (shared store) per habit with the habit's revision, so a cached
 * value is used only while nothing it was computed from has changed.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { QueryTypes, type Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { addDays, daysBetween, todayIn, type LocalDate } from "../lib/dates";
import { DAY_MILESTONES, WEEK_MILESTONES, isCompleted, type CheckinFacts, type CheckinStatus, type Schedule, type Target } from "../lib/habit-rules";
import { baseBeforeToday, computeStats, withToday, type DayStatus, type HabitHistory, type Progress, type Stats, type TodayBase } from "../lib/progress";
import { localDateRule } from "../src/params";
import { NotFoundError, validationError } from "../src/errors";
import { getRuntime } from "../src/runtime";
import { now } from "../src/clock";
import { HABIT_MODEL, HABIT_RECORD_COLUMNS, toHabit, type Habit, type HabitRecord } from "./habits.service";
import type { AuthMeta } from "./auth.service";

export interface Checkin {
  habitId: string;
  date: LocalDate;
  status: CheckinStatus;
  value: number | null;
  note: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface CheckinBody {
  status?: CheckinStatus;
  value?: number | null;
  note?: string | null;
}
export interface PutCheckinParams extends CheckinBody {
  id: string;
  date: LocalDate;
}
export interface PostCheckinParams extends CheckinBody {
  id: string;
  date?: LocalDate;
}
export interface CheckinKeyParams {
  id: string;
  date: LocalDate;
}
export interface RangeParams {
  id: string;
  from?: LocalDate;
  to?: LocalDate;
}

export interface StreakView {
  current: number;
  longest: number;
  unit: "days" | "weeks";
  completedToday: boolean;
  lastCompletedDate: LocalDate | null;
  score: number;
}

export interface TodayEntry {
  habit: Habit;
  due: boolean;
  status: DayStatus;
  value: number | null;
  streak: { current: number; longest: number; unit: "days" | "weeks" };
  score: number;
}

/** Payload of `checkin.recorded` and `checkin.removed`. */
export interface CheckinEvent {
  habitId: string;
  date: LocalDate;
  checkin: Checkin | null;
  streak: StreakView;
}

/** Payload of `streak.milestone`. */
export interface MilestoneEvent {
  habitId: string;
  habitName: string;
  milestone: number;
  unit: "days" | "weeks";
  runStart: LocalDate;
  date: LocalDate;
}

/**
 * What the cache keeps per habit: everything /today and /streak need for one local day, and
 * the base a check-in for today is applied to without reading the history again.
 */
interface CachedProgress {
  revision: number;
  today: LocalDate;
  progress: Progress;
  due: boolean;
  todayStatus: DayStatus;
  todayValue: number | null;
  base: TodayBase;
}

interface CheckinRow {
  habit_id: string;
  date: string;
  status: CheckinStatus;
  value: number | null;
  note: string | null;
  created_at: Date;
  updated_at: Date;
}

interface OwnedHabit {
  row: HabitRecord;
  timezone: string;
  today: LocalDate;
}

const CACHE_TTL_SECONDS = 24 * 3600;
const MAX_RANGE_DAYS = 366;
const cacheKey = (habitId: string) => `streak:${habitId}`;

const checkinFields = {
  status: { type: "enum", values: ["done", "skipped"], optional: true },
  value: { type: "number", min: 0, max: 1e9, nullable: true, optional: true },
  note: { type: "string", max: 500, nullable: true, optional: true },
} as const;
const UUID = { type: "uuid" } as const;
const range = { from: { ...localDateRule, optional: true }, to: { ...localDateRule, optional: true } } as const;

function toCheckin(row: CheckinRow, target: Target): Checkin {
  return {
    habitId: row.habit_id,
    date: row.date,
    status: row.status,
    value: row.value,
    note: row.note,
    completed: isCompleted(row, target),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function streakView(progress: Progress): StreakView {
  const { current, longest, unit, completedToday, lastCompletedDate, score } = progress;
  return { current, longest, unit, completedToday, lastCompletedDate, score };
}

function historyOf(owned: OwnedHabit, checkins: CheckinFacts[]): HabitHistory {
  return {
    schedule: owned.row.schedule as Schedule,
    target: owned.row.target as Target,
    startDate: owned.row.startDate,
    today: owned.today,
    checkins,
  };
}

/** Check-ins packed by `histories` ("2026-11-30d,2026-12-01s,2026-12-02d8.5"): date, status initial, value. */
function unpackHistory(packed: string): CheckinFacts[] {
  return packed.split(",").map((entry) => ({
    date: entry.slice(0, 10),
    status: entry[10] === "s" ? "skipped" : "done",
    value: entry.length > 11 ? Number(entry.slice(11)) : null,
  }));
}

/** Today's summary from a base (the history without today) and today's check-in, if any. */
function summaryOf(base: TodayBase, revision: number, todayCheckin: Pick<CheckinFacts, "status" | "value"> | null): CachedProgress {
  const { progress, due, status } = withToday(base, todayCheckin);
  return { revision, today: base.today, progress, due, todayStatus: status, todayValue: todayCheckin?.value ?? null, base };
}

function summarize(owned: OwnedHabit, checkins: CheckinFacts[]): CachedProgress {
  const base = baseBeforeToday(historyOf(owned, checkins));
  return summaryOf(base, owned.row.revision, checkins.find((checkin) => checkin.date === owned.today) ?? null);
}

/** Whether a cache entry still describes the habit: same local day, nothing changed since. */
function isFresh(entry: CachedProgress | null, owned: OwnedHabit): entry is CachedProgress {
  return entry !== null && entry.today === owned.today && entry.revision === owned.row.revision;
}

/** Validates and clamps a from/to range (DESIGN.md §3: check as sent, then clamp). */
function resolveRange(owned: OwnedHabit, from?: LocalDate, to?: LocalDate): { from: LocalDate; to: LocalDate } {
  const end = to ?? owned.today;
  const start = from ?? addDays(end, -29);
  if (start > end) throw validationError([{ field: "from", type: "rangeOrder", message: "'from' must not be after 'to'." }]);
  if (daysBetween(start, end) + 1 > MAX_RANGE_DAYS) {
    throw validationError([{ field: "to", type: "rangeSize", message: `A range holds at most ${MAX_RANGE_DAYS} dates.` }]);
  }
  return {
    from: start < owned.row.startDate ? owned.row.startDate : start,
    to: end > owned.today ? owned.today : end,
  };
}

interface TrackingMethods extends DbMethods, OutboxMethods {
  ownHabit(ctx: Context<unknown, AuthMeta>, habitId: string, transaction?: Transaction, lock?: boolean): Promise<OwnedHabit>;
  histories(habitIds: string[], transaction?: Transaction): Promise<Map<string, CheckinFacts[]>>;
  history(habitId: string, transaction?: Transaction): Promise<CheckinFacts[]>;
  cachedProgress(owned: OwnedHabit): Promise<CachedProgress>;
  store(summary: CachedProgress, habitId: string): Promise<void>;
  writeCheckin(ctx: Context<unknown, AuthMeta>, habitId: string, date: LocalDate | undefined, body: CheckinBody): Promise<Checkin>;
}

const TrackingService: ServiceSchema<ServiceSettingSchema, TrackingMethods> = {
  name: "tracking",

  mixins: [
    // Reads habits through plain SQL joins (with the owner's zone); writes check-ins with upserts.
    DbMixin({ model: HABIT_MODEL }),
    OutboxMixin(),
  ],

  actions: {
    put: {
      rest: "PUT /habits/:id/checkins/:date",
      params: { $$strict: true, id: UUID, date: localDateRule, ...checkinFields },
      handler(ctx: Context<PutCheckinParams, AuthMeta>): Promise<Checkin> {
        const { id, date, ...body } = ctx.params;
        return this.writeCheckin(ctx, id, date, body);
      },
    },

    post: {
      rest: "POST /habits/:id/checkins",
      params: { $$strict: true, id: UUID, date: { ...localDateRule, optional: true }, ...checkinFields },
      handler(ctx: Context<PostCheckinParams, AuthMeta>): Promise<Checkin> {
        const { id, date, ...body } = ctx.params;
        return this.writeCheckin(ctx, id, date, body);
      },
    },

    remove: {
      rest: "DELETE /habits/:id/checkins/:date",
      params: { $$strict: true, id: UUID, date: localDateRule },
      async handler(ctx: Context<CheckinKeyParams, AuthMeta>): Promise<null> {
        const summary = await this.sequelize().transaction(async (transaction) => {
          const owned = await this.ownHabit(ctx, ctx.params.id, transaction, true);
          const [deleted] = (await this.sequelize().query("DELETE FROM checkins WHERE habit_id = $1 AND date = $2 RETURNING date", {
            bind: [ctx.params.id, ctx.params.date],
            transaction,
          })) as [unknown[], unknown];
          if (deleted.length === 0) throw new NotFoundError("Check-in");
          owned.row.revision = await bumpRevision(this.sequelize(), ctx.params.id, transaction);
          const history = await this.history(ctx.params.id, transaction);
          const result = summarize(owned, history);
          await this.recordEvent(transaction, "checkin.removed", owned.row.userId, {
            habitId: ctx.params.id,
            date: ctx.params.date,
            checkin: null,
            streak: streakView(result.progress),
          } satisfies CheckinEvent);
          return result;
        });
        await this.store(summary, ctx.params.id);
        ctx.meta.$statusCode = 204;
        return null;
      },
    },

    list: {
      rest: "GET /habits/:id/checkins",
      params: { $$strict: true, id: UUID, ...range },
      async handler(ctx: Context<RangeParams, AuthMeta>): Promise<Checkin[]> {
        const owned = await this.ownHabit(ctx, ctx.params.id);
        const { from, to } = resolveRange(owned, ctx.params.from, ctx.params.to);
        if (from > to) return [];
        const rows = await this.sequelize().query<CheckinRow>(
          `SELECT habit_id, to_char(date, 'YYYY-MM-DD') AS date, status, value, note, created_at, updated_at
             FROM checkins WHERE habit_id = $1 AND date BETWEEN $2 AND $3 ORDER BY date`,
          { bind: [ctx.params.id, from, to], type: QueryTypes.SELECT },
        );
        return rows.map((row) => toCheckin(row, owned.row.target as Target));
      },
    },

    streak: {
      rest: "GET /habits/:id/streak",
      // `id` from the REST route; `habitId` for operators (`call tracking.streak --habitId …`).
      params: { $$strict: true, id: { ...UUID, optional: true }, habitId: { ...UUID, optional: true } },
      async handler(ctx: Context<{ id?: string; habitId?: string }, AuthMeta>): Promise<StreakView> {
        const habitId = ctx.params.id ?? ctx.params.habitId;
        if (!habitId) throw validationError([{ field: "habitId", type: "required", message: "The 'habitId' field is required." }]);
        return streakView((await this.cachedProgress(await this.ownHabit(ctx, habitId))).progress);
      },
    },

    /** Brings the habit's streak cache entry up to date (the Kafka bridge's streak-cache group). */
    refreshStreak: {
      visibility: "public",
      params: { $$strict: true, habitId: UUID },
      async handler(ctx: Context<{ habitId: string }, AuthMeta>): Promise<StreakView> {
        return streakView((await this.cachedProgress(await this.ownHabit(ctx, ctx.params.habitId))).progress);
      },
    },

    stats: {
      rest: "GET /habits/:id/stats",
      params: { $$strict: true, id: UUID, ...range },
      async handler(ctx: Context<RangeParams, AuthMeta>): Promise<Stats> {
        const owned = await this.ownHabit(ctx, ctx.params.id);
        const { from, to } = resolveRange(owned, ctx.params.from, ctx.params.to);
        const history = await this.history(ctx.params.id);
        return computeStats(historyOf(owned, history), from, to);
      },
    },

    today: {
      rest: "GET /today",
      params: { $$strict: true },
      async handler(ctx: Context<Record<string, never>, AuthMeta>): Promise<{ date: LocalDate; habits: TodayEntry[] }> {
        const userId = ctx.meta.user?.id ?? "";
        // Two queries: the user's zone, and the active habits in position order.
        const [{ timezone } = { timezone: "UTC" }] = await this.sequelize().query<{ timezone: string }>(
          "SELECT timezone FROM users WHERE id = $1",
          { bind: [userId], type: QueryTypes.SELECT },
        );
        const habits = await this.sequelize().query<HabitRecord>(
          `SELECT ${HABIT_RECORD_COLUMNS} FROM habits h WHERE h.user_id = $1 AND NOT h.archived ORDER BY h.position`,
          { bind: [userId], type: QueryTypes.SELECT },
        );
        const today = todayIn(timezone, now());
        const owned = habits.map((row) => ({ row, timezone, today }));
        // One cache round trip; a third query only on misses: their check-ins, all at once.
        const { store } = getRuntime();
        const cached = await store.getJson<CachedProgress>(owned.map((habit) => cacheKey(habit.row.id)));
        const missing = owned.filter((habit, i) => !isFresh(cached[i], habit));
        const histories = missing.length > 0 ? await this.histories(missing.map((habit) => habit.row.id)) : new Map<string, CheckinFacts[]>();
        const entries: TodayEntry[] = [];
        for (const [i, habit] of owned.entries()) {
          let summary = cached[i];
          if (!isFresh(summary, habit)) {
            summary = summarize(habit, histories.get(habit.row.id) ?? []);
            await this.store(summary, habit.row.id);
          }
          entries.push({
            habit: toHabit(habit.row),
            due: summary.due,
            status: summary.todayStatus,
            value: summary.todayValue,
            streak: { current: summary.progress.current, longest: summary.progress.longest, unit: summary.progress.unit },
            score: summary.progress.score,
          });
        }
        return { date: today, habits: entries };
      },
    },
  },

  methods: {
    /**
     * The habit, if the caller owns it. Every gateway route that reaches this service is
     * authenticated, so the gateway always sets `ctx.meta.user`; a call without it comes from
     * inside the cluster (an operator's REPL, another service) and may read any habit.
     */
    async ownHabit(ctx, habitId, transaction, lock = false) {
      const internal = ctx.meta.user === undefined;
      const [found] = await this.sequelize().query<HabitRecord & { timezone: string }>(
        `SELECT ${HABIT_RECORD_COLUMNS}, u.timezone FROM habits h JOIN users u ON u.id = h.user_id
          WHERE h.id = $1 AND (h.user_id = $2 OR $3) ${lock ? "FOR UPDATE OF h" : ""}`,
        { bind: [habitId, ctx.meta.user?.id ?? null, internal], type: QueryTypes.SELECT, transaction },
      );
      if (!found) throw new NotFoundError("Habit");
      const { timezone, ...row } = found;
      return { row, timezone, today: todayIn(timezone, now()) };
    },

    /**
     * The check-ins streaks and scores are computed from, per habit: one row per habit, its
     * history packed into one text (a long history costs one value to send, not a row per day).
     */
    async histories(habitIds, transaction) {
      const rows = await this.sequelize().query<{ habit_id: string; history: string }>(
        `SELECT habit_id, string_agg(to_char(date, 'YYYY-MM-DD') || left(status, 1) || coalesce(value::text, ''), ',') AS history
           FROM checkins WHERE habit_id = ANY($1::uuid[]) GROUP BY habit_id`,
        { bind: [habitIds], type: QueryTypes.SELECT, transaction },
      );
      return new Map(rows.map((row) => [row.habit_id, unpackHistory(row.history)]));
    },

    async history(habitId, transaction) {
      return (await this.histories([habitId], transaction)).get(habitId) ?? [];
    },

    async cachedProgress(owned) {
      const { store } = getRuntime();
      const [cached] = await store.getJson<CachedProgress>([cacheKey(owned.row.id)]);
      if (isFresh(cached, owned)) return cached;
      const summary = summarize(owned, await this.history(owned.row.id));
      await this.store(summary, owned.row.id);
      return summary;
    },

    async store(summary, habitId) {
      try {
        await getRuntime().store.putJsonIfNewer(cacheKey(habitId), summary, CACHE_TTL_SECONDS);
      } catch (err) {
        // The cache is a cache: the next read recomputes.
        this.logger.warn(`Streak cache write failed for ${habitId}: ${(err as Error).message}`);
      }
    },

    async writeCheckin(ctx, habitId, requestedDate, body) {
      const { result, summary, created } = await this.sequelize().transaction(async (transaction) => {
        const owned = await this.ownHabit(ctx, habitId, transaction, true);
        const target = owned.row.target as Target;
        const date = requestedDate ?? owned.today;
        const status = body.status ?? "done";
        const value = body.value ?? null;
        if (date < owned.row.startDate || date > owned.today) {
          throw validationError([
            { field: "date", type: "dateOutOfRange", message: `The date must be between ${owned.row.startDate} and today (${owned.today}).` },
          ]);
        }
        if (target.type === "boolean" && value !== null) {
          throw validationError([{ field: "value", type: "valueNotAllowed", message: "A boolean habit takes no value." }]);
        }
        if (target.type !== "boolean" && status === "done" && value === null) {
          throw validationError([{ field: "value", type: "valueRequired", message: "A numeric habit needs a value when done." }]);
        }
        // A current cache entry is the state before this write. For today's date it is also all
        // the new state needs (the check-in is applied to its base); otherwise the history is
        // read once, and the new state is that history with this check-in.
        const [cached] = await getRuntime().store.getJson<CachedProgress>([cacheKey(habitId)]).catch(() => [null]);
        const warm = isFresh(cached, owned) ? cached : null;
        const incremental = warm !== null && date === owned.today;
        const history = incremental ? [] : await this.history(habitId, transaction);
        const previous = warm ?? summarize(owned, history);
        const [row] = await this.sequelize().query<CheckinRow & { inserted: boolean }>(
          `INSERT INTO checkins (habit_id, date, status, value, note) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (habit_id, date) DO UPDATE
             SET status = EXCLUDED.status, value = EXCLUDED.value, note = EXCLUDED.note, updated_at = now()
           RETURNING habit_id, to_char(date, 'YYYY-MM-DD') AS date, status, value, note, created_at, updated_at,
                     (xmax = 0) AS inserted`,
          { bind: [habitId, date, status, value, body.note ?? null], type: QueryTypes.SELECT, transaction },
        );
        owned.row.revision = await bumpRevision(this.sequelize(), habitId, transaction);
        const next = incremental
          ? summaryOf(warm.base, owned.row.revision, { status, value })
          : summarize(owned, [...history.filter((checkin) => checkin.date !== date), row]);
        const checkin = toCheckin(row, target);
        await this.recordEvent(transaction, "checkin.recorded", owned.row.userId, {
          habitId,
          date,
          checkin,
          streak: streakView(next.progress),
        } satisfies CheckinEvent);
        const { current, unit, currentRunStart } = next.progress;
        if (currentRunStart !== null && current > previous.progress.current) {
          for (const milestone of unit === "days" ? DAY_MILESTONES : WEEK_MILESTONES) {
            if (current < milestone) break;
            // Once per run: a run filled in backwards starts earlier with each check-in, so a
            // milestone recorded for any start within the current run is this run's.
            const [inserted] = (await this.sequelize().query(
              `INSERT INTO milestones (habit_id, milestone, unit, run_start)
               SELECT $1, $2, $3, $4::date
                WHERE NOT EXISTS (SELECT 1 FROM milestones
                                   WHERE habit_id = $1 AND milestone = $2 AND unit = $3 AND run_start >= $4::date)
               ON CONFLICT DO NOTHING RETURNING milestone`,
              { bind: [habitId, milestone, unit, currentRunStart], transaction },
            )) as [unknown[], unknown];
            if (inserted.length > 0) {
              await this.recordEvent(transaction, "streak.milestone", owned.row.userId, {
                habitId,
                habitName: owned.row.name,
                milestone,
                unit,
                runStart: currentRunStart,
                date,
              } satisfies MilestoneEvent);
            }
          }
        }
        return { result: checkin, summary: next, created: row.inserted };
      });
      // Written through after the commit; the revision keeps a slower, older write from winning.
      await this.store(summary, habitId);
      ctx.meta.$statusCode = created ? 201 : 200;
      return result;
    },
  },
};

async function bumpRevision(db: import("sequelize").Sequelize, habitId: string, transaction: Transaction): Promise<number> {
  const [[{ revision }]] = (await db.query("UPDATE habits SET revision = revision + 1 WHERE id = $1 RETURNING revision", {
    bind: [habitId],
    transaction,
  })) as [Array<{ revision: string }>, unknown];
  return Number(revision);
}

export default TrackingService;

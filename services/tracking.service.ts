/**
 * Check-ins, streaks, stats and the day's dashboard (docs/contract.md, "Check-ins", "Streaks,
 * stats, dashboard"). A check-in is keyed by (habit, local date); each write and its events
 * (`checkin.recorded` / `checkin.removed` carrying the new streak, and `streak.milestone` once
 * per habit, milestone and run) commit in one transaction through the outbox. Streaks come from
 * lib/progress.ts over the habit's check-ins, cached per habit (src/streak-cache.ts).
 * Owns `checkins`, `milestones` and `habit_progress` (src/data/checkins.ts); the habits
 * themselves come from the habits service (`habits.definition(s)`), the user's zone with the
 * request (src/caller.ts).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { todayIn, type LocalDate } from "../lib/dates";
import type { CheckinFacts, CheckinStatus } from "../lib/habit-rules";
import { computeStats, streakView, type DayStatus, type Stats, type StreakView } from "../lib/progress";
import { assertCheckinFits, milestonesReached, resolveRange } from "../lib/checkin-rules";
import { localDateRule } from "../src/params";
import { NotFoundError } from "../src/errors";
import { requireUser, requireUserId, type CallMeta } from "../src/caller";
import { requireDatabase, type Runtime } from "../src/runtime";
import { StreakCache, historyOf, isFresh, summarize, withTodayCheckin, type CachedProgress, type HabitState } from "../src/streak-cache";
import type { CheckinEvent, MilestoneEvent } from "../src/events";
import { publicHabit, type Habit, type HabitDefinition } from "../src/data/habits";
import * as checkins from "../src/data/checkins";
import { toCheckin, type Checkin } from "../src/data/checkins";

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

export interface TodayEntry {
  habit: Habit;
  due: boolean;
  status: DayStatus;
  value: number | null;
  streak: { current: number; longest: number; unit: "days" | "weeks" };
  score: number;
}

const checkinFields = {
  status: { type: "enum", values: ["done", "skipped"], optional: true },
  value: { type: "number", min: 0, max: 1e9, nullable: true, optional: true },
  note: { type: "string", max: 500, nullable: true, optional: true },
} as const;
const UUID = { type: "uuid" } as const;
const range = { from: { ...localDateRule, optional: true }, to: { ...localDateRule, optional: true } } as const;

/** A habit of the caller's, as its streak is computed now, with its cache entry (if any). */
interface Loaded {
  definition: HabitDefinition;
  state: HabitState;
  cached: CachedProgress | null;
}

interface TrackingMethods extends DbMethods, OutboxMethods {
  load(ctx: Context<unknown, CallMeta>, habitId: string): Promise<Loaded>;
  progressOf(loaded: Loaded): Promise<CachedProgress>;
  history(habitId: string, transaction?: Transaction): Promise<CheckinFacts[]>;
  writeCheckin(ctx: Context<unknown, CallMeta>, habitId: string, date: LocalDate | undefined, body: CheckinBody): Promise<Checkin>;
}

interface TrackingLocals {
  streaks: StreakCache;
}

export default function TrackingService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, TrackingMethods, TrackingLocals> {
  const stateOf = (definition: HabitDefinition, revision: number, timezone: string): HabitState => ({
    rules: definition,
    revision,
    today: todayIn(timezone, runtime.clock.now()),
  });

  return {
    name: "tracking",

    mixins: [DbMixin({ table: "checkins", database: () => requireDatabase(runtime) }), OutboxMixin()],

    actions: {
      put: {
        rest: "PUT /habits/:id/checkins/:date",
        auth: "user",
        params: { $$strict: true, id: UUID, date: localDateRule, ...checkinFields },
        handler(ctx: Context<PutCheckinParams, CallMeta>): Promise<Checkin> {
          const { id, date, ...body } = ctx.params;
          return this.writeCheckin(ctx, id, date, body);
        },
      },

      post: {
        rest: "POST /habits/:id/checkins",
        auth: "user",
        params: { $$strict: true, id: UUID, date: { ...localDateRule, optional: true }, ...checkinFields },
        handler(ctx: Context<PostCheckinParams, CallMeta>): Promise<Checkin> {
          const { id, date, ...body } = ctx.params;
          return this.writeCheckin(ctx, id, date, body);
        },
      },

      remove: {
        rest: "DELETE /habits/:id/checkins/:date",
        auth: "user",
        params: { $$strict: true, id: UUID, date: localDateRule },
        async handler(ctx: Context<CheckinKeyParams, CallMeta>): Promise<null> {
          const { definition, state } = await this.load(ctx, ctx.params.id);
          const db = this.sequelize();
          const summary = await db.transaction(async (transaction) => {
            const revision = await checkins.bumpRevision(db, transaction, definition.id);
            if (!(await checkins.deleteCheckin(db, transaction, definition.id, ctx.params.date))) throw new NotFoundError("Check-in");
            const result = summarize({ ...state, revision }, await this.history(definition.id, transaction));
            await this.recordEvent(transaction, "checkin.removed", definition.userId, {
              habitId: definition.id,
              date: ctx.params.date,
              checkin: null,
              streak: streakView(result.progress),
            } satisfies CheckinEvent);
            return result;
          });
          await this.streaks.put(definition.id, summary);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      list: {
        rest: "GET /habits/:id/checkins",
        auth: "user",
        params: { $$strict: true, id: UUID, ...range },
        async handler(ctx: Context<RangeParams, CallMeta>): Promise<Checkin[]> {
          const { definition, state } = await this.load(ctx, ctx.params.id);
          const { from, to } = resolveRange(ctx.params, definition.startDate, state.today);
          if (from > to) return [];
          const records = await checkins.listCheckins(this.sequelize(), definition.id, from, to);
          return records.map((record) => toCheckin(record, definition.target));
        },
      },

      streak: {
        rest: "GET /habits/:id/streak",
        auth: "user",
        params: { $$strict: true, id: UUID },
        async handler(ctx: Context<{ id: string }, CallMeta>): Promise<StreakView> {
          return streakView((await this.progressOf(await this.load(ctx, ctx.params.id))).progress);
        },
      },

      stats: {
        rest: "GET /habits/:id/stats",
        auth: "user",
        params: { $$strict: true, id: UUID, ...range },
        async handler(ctx: Context<RangeParams, CallMeta>): Promise<Stats> {
          const { definition, state } = await this.load(ctx, ctx.params.id);
          const { from, to } = resolveRange(ctx.params, definition.startDate, state.today);
          return computeStats(historyOf(state, await this.history(definition.id)), from, to);
        },
      },

      today: {
        rest: "GET /today",
        auth: "user",
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<{ date: LocalDate; habits: TodayEntry[] }> {
          const user = await requireUser(ctx);
          const definitions = await ctx.call<HabitDefinition[], { userId: string }>("habits.definitions", { userId: user.id });
          const ids = definitions.map((definition) => definition.id);
          const [revisions, cached] = await Promise.all([checkins.revisions(this.sequelize(), ids), this.streaks.get(ids)]);
          const states = definitions.map((definition) => stateOf(definition, revisions.get(definition.id) ?? 0, user.timezone));
          // One query for the histories of every habit whose entry is not current.
          const missing = states.filter((state, i) => !isFresh(cached[i], state)).map((state) => state.rules.id);
          const histories = missing.length > 0 ? await checkins.histories(this.sequelize(), missing) : new Map<string, CheckinFacts[]>();
          const entries: TodayEntry[] = [];
          for (const [i, state] of states.entries()) {
            let summary = cached[i];
            if (!isFresh(summary, state)) {
              summary = summarize(state, histories.get(state.rules.id) ?? []);
              await this.streaks.put(state.rules.id, summary);
            }
            const { current, longest, unit, score } = summary.progress;
            entries.push({
              habit: publicHabit(definitions[i]),
              due: summary.due,
              status: summary.todayStatus,
              value: summary.todayValue,
              streak: { current, longest, unit },
              score,
            });
          }
          return { date: todayIn(user.timezone, runtime.clock.now()), habits: entries };
        },
      },

      /** Brings a habit's streak cache entry up to date (the Kafka bridge's streak-cache group). */
      refreshStreak: {
        visibility: "public",
        params: { $$strict: true, habitId: UUID },
        async handler(ctx: Context<{ habitId: string }>): Promise<StreakView> {
          const definition = await ctx.call<HabitDefinition, { id: string }>("habits.definition", { id: ctx.params.habitId });
          const zones = await ctx.call<Record<string, string>, { userIds: string[] }>("auth.timezones", { userIds: [definition.userId] });
          const revision = (await checkins.revisions(this.sequelize(), [definition.id])).get(definition.id) ?? 0;
          const [cached] = await this.streaks.get([definition.id]);
          const loaded = { definition, state: stateOf(definition, revision, zones[definition.userId] ?? "UTC"), cached };
          return streakView((await this.progressOf(loaded)).progress);
        },
      },

      /** The date of a habit's earliest check-in, or null (habits asks before moving a start date). */
      earliestCheckin: {
        visibility: "public",
        params: { $$strict: true, id: UUID },
        handler(ctx: Context<{ id: string }>): Promise<LocalDate | null> {
          return checkins.earliestCheckin(this.sequelize(), ctx.params.id);
        },
      },

      /** The check-ins of these habits (for the reminder scan). */
      histories: {
        visibility: "public",
        params: { $$strict: true, habitIds: { type: "array", items: UUID, max: 10_000 } },
        async handler(ctx: Context<{ habitIds: string[] }>): Promise<Record<string, CheckinFacts[]>> {
          return Object.fromEntries(await checkins.histories(this.sequelize(), ctx.params.habitIds));
        },
      },
    },

    methods: {
      /** The caller's habit (404 if it is not theirs), the check-ins' revision and the cache entry, read at once. */
      async load(ctx: Context<unknown, CallMeta>, habitId: string): Promise<Loaded> {
        const userId = requireUserId(ctx);
        const [definition, revisions, [cached]] = await Promise.all([
          ctx.call<HabitDefinition, { id: string; userId: string }>("habits.definition", { id: habitId, userId }),
          checkins.revisions(this.sequelize(), [habitId]),
          this.streaks.get([habitId]),
        ]);
        // After the habit (a stranger's call is 404 first); the zone is usually in the request already.
        const user = await requireUser(ctx);
        return { definition, state: stateOf(definition, revisions.get(habitId) ?? 0, user.timezone), cached };
      },

      /** The cached progress when current; else recomputed from the history, and cached. */
      async progressOf({ definition, state, cached }: Loaded): Promise<CachedProgress> {
        if (isFresh(cached, state)) return cached;
        const summary = summarize(state, await this.history(definition.id));
        await this.streaks.put(definition.id, summary);
        return summary;
      },

      async history(habitId: string, transaction?: Transaction): Promise<CheckinFacts[]> {
        return (await checkins.histories(this.sequelize(), [habitId], transaction)).get(habitId) ?? [];
      },

      async writeCheckin(
        ctx: Context<unknown, CallMeta>,
        habitId: string,
        requestedDate: LocalDate | undefined,
        body: CheckinBody,
      ): Promise<Checkin> {
        const { definition, state, cached } = await this.load(ctx, habitId);
        const date = requestedDate ?? state.today;
        const status = body.status ?? "done";
        const value = body.value ?? null;
        assertCheckinFits({ date, status, value }, definition, state.today);
        const db = this.sequelize();
        const { checkin, summary, created } = await db.transaction(async (transaction) => {
          // Takes the habit's progress row: writes to one habit happen one at a time from here.
          const revision = await checkins.bumpRevision(db, transaction, habitId);
          const before: HabitState = { ...state, revision: revision - 1 };
          const after: HabitState = { ...state, revision };
          // A current entry is the state before this write. For today's date it is also all the
          // new state needs (the check-in is applied to its base); otherwise the history is read
          // once, and the new state is that history with this check-in.
          const warm = isFresh(cached, before) ? cached : null;
          const incremental = warm !== null && date === state.today;
          const history = incremental ? [] : await this.history(habitId, transaction);
          const previous = warm ?? summarize(before, history);
          const { record, created } = await checkins.upsertCheckin(db, transaction, {
            habitId,
            date,
            status,
            value,
            note: body.note ?? null,
          });
          const next = incremental
            ? withTodayCheckin(after, warm.base, { status, value })
            : summarize(after, [...history.filter((entry) => entry.date !== date), record]);
          const checkin = toCheckin(record, definition.target);
          await this.recordEvent(transaction, "checkin.recorded", definition.userId, {
            habitId,
            date,
            checkin,
            streak: streakView(next.progress),
          } satisfies CheckinEvent);
          const runStart = next.progress.currentRunStart;
          for (const milestone of milestonesReached(previous.progress.current, next.progress)) {
            const { unit } = next.progress;
            if (runStart === null || !(await checkins.recordMilestone(db, transaction, { habitId, milestone, unit, runStart }))) continue;
            await this.recordEvent(transaction, "streak.milestone", definition.userId, {
              habitId,
              habitName: definition.name,
              milestone,
              unit,
              runStart,
              date,
            } satisfies MilestoneEvent);
          }
          return { checkin, summary: next, created };
        });
        // Written through after the commit; the revision keeps a slower, older write from winning.
        await this.streaks.put(habitId, summary);
        ctx.meta.$statusCode = created ? 201 : 200;
        if (created) ctx.meta.$location = `/api/v1/habits/${habitId}/checkins/${date}`;
        return checkin;
      },
    },

    created() {
      this.streaks = new StreakCache(runtime.store, (message) => this.logger.warn(message));
    },
  };
}

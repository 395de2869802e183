/**
 * Check-ins, streaks, stats and the day's dashboard (docs/contract.md, "Check-ins", "Streaks,
 * stats, dashboard"). A check-in is keyed by (habit, local date); each write and its events
 * (`checkin.recorded` / `checkin.removed` carrying the new streak, and `streak.milestone` once
 * per habit, milestone and run) commit together through the outbox. Streaks come from
 * lib/progress.ts over the habit's check-ins, cached per habit (src/streak-cache.ts).
 * The hot paths (docs/architecture.md, "Read models") read the caller's habits as `habits`
 * publishes them (src/habit-lists.ts) and the streak entry in one store round trip, so a warm
 * streak or dashboard read costs no database read; a check-in for today whose entry is current
 * and crosses no milestone is one statement (`recordAtRevision`), others a transaction.
 * Owns `checkins`, `milestones` and `habit_progress` (src/data/checkins.ts); the habits
 * themselves come from `habits`, the user's zone with the request (src/caller.ts).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { randomUUID } from "node:crypto";
import type { Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { todayIn, type LocalDate } from "../lib/dates";
import { isCompleted, type CheckinFacts, type CheckinStatus } from "../lib/habit-rules";
import { computeStats, streakView, type DayStatus, type Stats, type StreakView } from "../lib/progress";
import { assertCheckinFits, milestonesReached, resolveRange } from "../lib/checkin-rules";
import { localDateRule } from "../src/params";
import { currentRequestId } from "../src/request-context";
import { NotFoundError, validationError } from "../src/errors";
import { requireUser, type CallMeta } from "../src/caller";
import { requireDatabase, type Runtime } from "../src/runtime";
import {
  historyOf,
  isCurrent,
  streakCache,
  summarize,
  withTodayCheckin,
  type CachedProgress,
  type HabitState,
  type StreakEntry,
} from "../src/streak-cache";
import { habitLists, type HabitList } from "../src/habit-lists";
import { getPair, type VersionedDocuments } from "../src/versioned-documents";
import type { CheckinEvent, MilestoneEvent } from "../src/events";
import { publicHabit, type Habit, type HabitDefinition } from "../src/data/habits";
import * as checkins from "../src/data/checkins";
import { toCheckin, type Checkin, type CheckinRecord } from "../src/data/checkins";
import { SCHEMAS } from "../src/api-schemas";
import {
  buildExport,
  checkedHabits,
  habitsToImport,
  type ExportDocument,
  type ImportedHabit,
  type ImportLimits,
} from "../lib/export-document";
import { mapLoopBackup, type ImportHabit, type LoopBackup } from "../lib/loop-import";
import { LoopBackupTooLargeError, NotALoopBackupError, readLoopBackup } from "../src/loop-backup";
import type { User } from "../src/data/accounts";
import type { Notification } from "../src/data/notifications";

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

/** A habit of the caller's, as its streak is computed today, with its streak entry when that is current. */
interface Loaded {
  definition: HabitDefinition;
  state: HabitState;
  entry: StreakEntry | null;
}

/** A check-in as asked for, its date resolved. */
type CheckinWrite = Pick<CheckinRecord, "habitId" | "date" | "status" | "value" | "note">;

interface TrackingMethods extends DbMethods, OutboxMethods {
  habitsOf(ctx: Context<unknown, CallMeta>, userId: string, published: HabitList | null): Promise<HabitList>;
  load(ctx: Context<unknown, CallMeta>, habitId: string): Promise<Loaded>;
  progressOf(loaded: Loaded): Promise<CachedProgress>;
  recompute(habitIds: string[], states: Map<string, HabitState>): Promise<Map<string, CachedProgress>>;
  history(habitId: string, transaction?: Transaction): Promise<CheckinFacts[]>;
  writeCheckin(ctx: Context<unknown, CallMeta>, habitId: string, date: LocalDate | undefined, body: CheckinBody): Promise<Checkin>;
  recordForToday(loaded: Loaded & { entry: StreakEntry }, write: CheckinWrite): Promise<{ record: CheckinRecord; created: boolean } | null>;
  recordInTransaction(loaded: Loaded, write: CheckinWrite): Promise<{ record: CheckinRecord; created: boolean }>;
  importLimits(ctx: Context<unknown, CallMeta>, userId: string): Promise<ImportLimits>;
  importHabits(ctx: Context<unknown, CallMeta>, userId: string, habits: ImportHabit[], warnings: string[]): Promise<ImportResult>;
}

export interface ImportResult {
  habits: number;
  checkins: number;
  warnings: string[];
}

/** The largest IMPORT_LIMIT_BYTES (src/config.ts), as base64. */
const BASE64_OF_LARGEST_IMPORT = Math.ceil((100 * 1024 * 1024 * 4) / 3) + 4;

/** Check-ins one imported habit may bring: a century of days. */
const MAX_IMPORTED_CHECKINS = 36_600;

interface TrackingLocals {
  streaks: VersionedDocuments<CachedProgress>;
  lists: VersionedDocuments<HabitDefinition[]>;
}

export default function TrackingService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, TrackingMethods, TrackingLocals> {
  const stateOf = (definition: HabitDefinition, today: LocalDate): HabitState => ({ rules: definition, today });
  const todayOf = (timezone: string) => todayIn(timezone, runtime.clock.now());

  return {
    name: "tracking",

    mixins: [DbMixin({ table: "checkins", database: () => requireDatabase(runtime) }), OutboxMixin()],

    actions: {
      put: {
        rest: "PUT /habits/:id/checkins/:date",
        auth: "user",
        response: { status: 201, also: [200], schema: SCHEMAS.checkin },
        params: { $$strict: true, id: UUID, date: localDateRule, ...checkinFields },
        handler(ctx: Context<PutCheckinParams, CallMeta>): Promise<Checkin> {
          const { id, date, ...body } = ctx.params;
          return this.writeCheckin(ctx, id, date, body);
        },
      },

      post: {
        rest: "POST /habits/:id/checkins",
        auth: "user",
        response: { status: 201, also: [200], schema: SCHEMAS.checkin },
        params: { $$strict: true, id: UUID, date: { ...localDateRule, optional: true }, ...checkinFields },
        handler(ctx: Context<PostCheckinParams, CallMeta>): Promise<Checkin> {
          const { id, date, ...body } = ctx.params;
          return this.writeCheckin(ctx, id, date, body);
        },
      },

      remove: {
        rest: "DELETE /habits/:id/checkins/:date",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true, id: UUID, date: localDateRule },
        async handler(ctx: Context<CheckinKeyParams, CallMeta>): Promise<null> {
          const { definition, state } = await this.load(ctx, ctx.params.id);
          const db = this.sequelize();
          const { revision, summary } = await db.transaction(async (transaction) => {
            const revision = await checkins.bumpRevision(db, transaction, definition.id);
            if (!(await checkins.deleteCheckin(db, transaction, definition.id, ctx.params.date))) throw new NotFoundError("Check-in");
            const summary = summarize(state, await this.history(definition.id, transaction));
            await this.recordEvent(transaction, "checkin.removed", definition.userId, {
              habitId: definition.id,
              date: ctx.params.date,
              checkin: null,
              streak: streakView(summary.progress),
            } satisfies CheckinEvent);
            await this.streaks.markPending(definition.id, revision);
            return { revision, summary };
          });
          await this.streaks.put(definition.id, revision, summary);
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      list: {
        rest: "GET /habits/:id/checkins",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.checkins },
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
        response: { status: 200, schema: SCHEMAS.streak },
        params: { $$strict: true, id: UUID },
        async handler(ctx: Context<{ id: string }, CallMeta>): Promise<StreakView> {
          return streakView((await this.progressOf(await this.load(ctx, ctx.params.id))).progress);
        },
      },

      stats: {
        rest: "GET /habits/:id/stats",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.stats },
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
        response: { status: 200, schema: SCHEMAS.today },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<{ date: LocalDate; habits: TodayEntry[] }> {
          const user = await requireUser(ctx);
          const [published] = await this.lists.get([user.id]);
          const definitions = (await this.habitsOf(ctx, user.id, published)).value.filter((definition) => !definition.archived);
          const today = todayOf(user.timezone);
          const states = new Map(definitions.map((definition) => [definition.id, stateOf(definition, today)]));
          const ids = [...states.keys()];
          const entries = await this.streaks.get(ids);
          const stale = ids.filter((id, i) => !isCurrent(entries[i], states.get(id) as HabitState));
          const recomputed = await this.recompute(stale, states);
          const habits = definitions.map((definition, i): TodayEntry => {
            const summary = recomputed.get(definition.id) ?? (entries[i] as StreakEntry).value;
            const { current, longest, unit, score } = summary.progress;
            return {
              habit: publicHabit(definition),
              due: summary.due,
              status: summary.todayStatus,
              value: summary.todayValue,
              streak: { current, longest, unit },
              score,
            };
          });
          return { date: today, habits };
        },
      },

      exportAccount: {
        rest: "GET /me/export",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.exportDocument, description: "A download (Content-Disposition: attachment)." },
        params: { $$strict: true },
        async handler(ctx: Context<Record<string, never>, CallMeta>): Promise<ExportDocument> {
          const user = await requireUser(ctx);
          const [account, list, inbox] = await Promise.all([
            ctx.call<User>("auth.me"),
            this.habitsOf(ctx, user.id, null),
            ctx.call<Notification[], { userId: string }>("notifications.ofUser", { userId: user.id }),
          ]);
          const stored = await checkins.checkinsOfHabits(
            this.sequelize(),
            list.value.map((habit) => habit.id),
          );
          const now = runtime.clock.now();
          ctx.meta.$responseHeaders = {
            "Content-Disposition": `attachment; filename="habit-tracker-export-${todayOf(user.timezone)}.json"`,
          };
          return buildExport({
            account,
            habits: list.value.map(publicHabit),
            checkins: stored.map(({ habitId, date, status, value, note }) => ({ habitId, date, status, value, note })),
            notifications: inbox,
            exportedAt: now.toISOString(),
          });
        },
      },

      importDocument: {
        rest: "POST /me/import",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.importResult, errors: [413] },
        requestBody: {
          contentType: "application/json",
          schema: SCHEMAS.exportDocument,
          description: "An export document (GET /me/export).",
        },
        // Not idempotent: a retry would add the habits twice.
        retryPolicy: { enabled: false },
        params: {
          $$strict: true,
          format: { type: "any" },
          version: { type: "any" },
          exportedAt: { type: "any", optional: true },
          user: { type: "any", optional: true },
          habits: { type: "any" },
          notifications: { type: "any", optional: true },
        },
        async handler(ctx: Context<Record<string, unknown>, CallMeta>): Promise<ImportResult> {
          const user = await requireUser(ctx);
          const limits = await this.importLimits(ctx, user.id);
          return this.importHabits(ctx, user.id, habitsToImport(ctx.params, todayOf(user.timezone), limits), []);
        },
      },

      importLoop: {
        rest: "POST /me/import/loop",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.importResult, errors: [413] },
        requestBody: { contentType: "application/octet-stream", description: "A Loop Habit Tracker full backup (its SQLite file)." },
        retryPolicy: { enabled: false },
        // The gateway hands the bytes over as base64 (and holds them to IMPORT_LIMIT_BYTES).
        params: { $$strict: true, file: { type: "string", max: BASE64_OF_LARGEST_IMPORT } },
        async handler(ctx: Context<{ file: string }, CallMeta>): Promise<ImportResult> {
          const user = await requireUser(ctx);
          let backup: LoopBackup;
          try {
            backup = readLoopBackup(Buffer.from(ctx.params.file, "base64"));
          } catch (err) {
            if (err instanceof NotALoopBackupError || err instanceof LoopBackupTooLargeError)
              throw validationError([{ field: "file", type: "loopBackup", message: err.message }]);
            throw err;
          }
          const today = todayOf(user.timezone);
          const mapped = mapLoopBackup(backup, today);
          const habits = checkedHabits(mapped.habits, today, await this.importLimits(ctx, user.id));
          return this.importHabits(ctx, user.id, habits, mapped.warnings);
        },
      },

      /** Brings a habit's streak cache entry up to date (the Kafka bridge's streak-cache group). */
      refreshStreak: {
        visibility: "public",
        params: { $$strict: true, habitId: UUID },
        async handler(ctx: Context<{ habitId: string }>): Promise<StreakView> {
          const definition = await ctx.call<HabitDefinition, { id: string }>("habits.definition", { id: ctx.params.habitId });
          const zones = await ctx.call<Record<string, string>, { userIds: string[] }>("auth.timezones", { userIds: [definition.userId] });
          const state = stateOf(definition, todayOf(zones[definition.userId] ?? "UTC"));
          return streakView((await this.progressOf({ definition, state, entry: null })).progress);
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
      async importLimits(ctx: Context<unknown, CallMeta>, userId: string) {
        const held = (await this.habitsOf(ctx, userId, null)).value.length;
        return { maxHabits: Math.max(0, runtime.config.maxHabitsPerUser - held), maxCheckinsPerHabit: MAX_IMPORTED_CHECKINS };
      },

      /**
       * Stores checked habits (`habits` makes them, after the user's own) and then their check-ins;
       * when the check-ins cannot be stored, the habits are taken back: all or nothing.
       */
      async importHabits(ctx: Context<unknown, CallMeta>, userId: string, habits: ImportHabit[], warnings: string[]) {
        const made = await ctx.call<Habit[], { userId: string; habits: ImportedHabit[] }>("habits.importMany", {
          userId,
          habits: habits.map(({ checkins: _checkins, ...habit }) => habit),
        });
        const rows = made.flatMap((habit, i) => habits[i].checkins.map((checkin) => ({ habitId: habit.id, ...checkin })));
        const db = this.sequelize();
        try {
          await db.transaction((transaction) => checkins.insertImportedCheckins(db, transaction, rows));
        } catch (err) {
          await ctx.call("habits.unimport", { userId, ids: made.map((habit) => habit.id) });
          throw err;
        }
        return { habits: made.length, checkins: rows.length, warnings };
      },

      /** The user's habits as published, or (none there) as `habits` reads and publishes them now. */
      async habitsOf(ctx: Context<unknown, CallMeta>, userId: string, published: HabitList | null): Promise<HabitList> {
        return published ?? (await ctx.call<HabitList, { userId: string }>("habits.ofUser", { userId }));
      },

      /** The caller's habit (404 if it is not theirs) and its streak entry, read in one store round trip when both are there. */
      async load(ctx: Context<unknown, CallMeta>, habitId: string): Promise<Loaded> {
        const user = await requireUser(ctx);
        const warn = (message: string) => this.logger.warn(message);
        const [published, entry] = await getPair(runtime.store, [this.lists, user.id], [this.streaks, habitId], warn);
        const definition = (await this.habitsOf(ctx, user.id, published)).value.find((habit) => habit.id === habitId);
        if (!definition) throw new NotFoundError("Habit");
        const state = stateOf(definition, todayOf(user.timezone));
        return { definition, state, entry: isCurrent(entry, state) ? entry : null };
      },

      /** The cached progress when current; else recomputed from the history, and cached. */
      async progressOf({ definition, state, entry }: Loaded): Promise<CachedProgress> {
        if (entry) return entry.value;
        return (await this.recompute([definition.id], new Map([[definition.id, state]]))).get(definition.id) as CachedProgress;
      },

      /** Streak entries computed afresh from one snapshot of these habits' check-ins, and cached. */
      async recompute(habitIds: string[], states: Map<string, HabitState>): Promise<Map<string, CachedProgress>> {
        const computed = new Map<string, CachedProgress>();
        if (habitIds.length === 0) return computed;
        const snapshots = await checkins.progressSnapshots(this.sequelize(), habitIds);
        await Promise.all(
          habitIds.map((id) => {
            const snapshot = snapshots.get(id) ?? { revision: 0, checkins: [] };
            const summary = summarize(states.get(id) as HabitState, snapshot.checkins);
            computed.set(id, summary);
            return this.streaks.put(id, snapshot.revision, summary);
          }),
        );
        return computed;
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
        const loaded = await this.load(ctx, habitId);
        const { definition, state, entry } = loaded;
        const write: CheckinWrite = {
          habitId,
          date: requestedDate ?? state.today,
          status: body.status ?? "done",
          value: body.value ?? null,
          note: body.note ?? null,
        };
        assertCheckinFits(write, definition, state.today);
        const written =
          (entry !== null && write.date === state.today ? await this.recordForToday({ ...loaded, entry }, write) : null) ??
          (await this.recordInTransaction(loaded, write));
        ctx.meta.$statusCode = written.created ? 201 : 200;
        if (written.created) ctx.meta.$location = `/api/v1/habits/${habitId}/checkins/${write.date}`;
        return toCheckin(written.record, definition.target);
      },

      /**
       * Today's check-in on a current entry, in one statement with the milestones it reaches:
       * the new entry is the entry's base with this check-in. Null (nothing written) when the
       * habit was never written to (no progress row to guard on) or another write got in first.
       */
      async recordForToday({ definition, state, entry }: Loaded & { entry: StreakEntry }, write: CheckinWrite) {
        if (entry.revision === 0) return null;
        const next = withTodayCheckin(state, entry.value.base, write);
        const revision = entry.revision + 1;
        const { unit, currentRunStart: runStart } = next.progress;
        await this.streaks.markPending(definition.id, revision);
        const written = await checkins.recordAtRevision(this.sequelize(), {
          checkin: write,
          expectedRevision: entry.revision,
          event: {
            eventId: randomUUID(),
            userId: definition.userId,
            payload: { habitId: definition.id, date: write.date, streak: streakView(next.progress) } satisfies Omit<
              CheckinEvent,
              "checkin"
            >,
            checkin: { ...write, completed: isCompleted(write, definition.target) } satisfies Omit<Checkin, "createdAt" | "updatedAt">,
            requestId: currentRequestId(),
          },
          milestones: {
            reached: milestonesReached(entry.value.progress.current, next.progress).map((milestone) => ({
              milestone,
              eventId: randomUUID(),
            })),
            unit,
            runStart,
            payload: { habitId: definition.id, habitName: definition.name, unit, date: write.date } satisfies Omit<
              MilestoneEvent,
              "milestone" | "runStart"
            >,
          },
        });
        if (!written) return null;
        await this.streaks.put(definition.id, revision, next);
        this.kickRelay();
        return written;
      },

      /** Any check-in, in a transaction that holds the habit's progress row, with its milestones. */
      async recordInTransaction({ definition, state, entry }: Loaded, write: CheckinWrite) {
        const db = this.sequelize();
        const habitId = definition.id;
        const { written, summary, revision } = await db.transaction(async (transaction) => {
          const revision = await checkins.bumpRevision(db, transaction, habitId);
          // An entry at the revision before this write is its state before; for today's date it
          // is also all the new state needs (the check-in is applied to its base). Otherwise the
          // history is read once, and the new state is that history with this check-in.
          const warm = entry !== null && entry.revision === revision - 1 ? entry.value : null;
          const incremental = warm !== null && write.date === state.today;
          const history = incremental ? [] : await this.history(habitId, transaction);
          const previous = warm ?? summarize(state, history);
          const written = await checkins.upsertCheckin(db, transaction, write);
          const next = incremental
            ? withTodayCheckin(state, warm.base, write)
            : summarize(state, [...history.filter((checkin) => checkin.date !== write.date), written.record]);
          await this.recordEvent(transaction, "checkin.recorded", definition.userId, {
            habitId,
            date: write.date,
            checkin: toCheckin(written.record, definition.target),
            streak: streakView(next.progress),
          } satisfies CheckinEvent);
          const { unit, currentRunStart: runStart } = next.progress;
          for (const milestone of milestonesReached(previous.progress.current, next.progress)) {
            if (runStart === null || !(await checkins.recordMilestone(db, transaction, { habitId, milestone, unit, runStart }))) continue;
            await this.recordEvent(transaction, "streak.milestone", definition.userId, {
              habitId,
              habitName: definition.name,
              milestone,
              unit,
              runStart,
              date: write.date,
            } satisfies MilestoneEvent);
          }
          await this.streaks.markPending(habitId, revision);
          return { written, summary: next, revision };
        });
        await this.streaks.put(habitId, revision, summary);
        return written;
      },
    },

    created() {
      const warn = (message: string) => this.logger.warn(message);
      this.streaks = streakCache(runtime.store, warn);
      this.lists = habitLists(runtime.store, warn);
    },
  };
}

/**
 * Habits: create, list, read, update (including archive and reorder) and delete, each for the
 * caller's own habits only — another user's habit is 404, never 403. Positions stay 0..n−1
 * without gaps; changes are serialised per user (the user's `habit_lists` row). Every change and
 * its event (`habit.created`, `habit.updated`, `habit.archived`, `habit.deleted`) commit together
 * through the outbox, and the user's habits are published to the shared store as they are after
 * it (src/habit-lists.ts), where `tracking` reads them on its hot paths. Owns `habits` and
 * `habit_lists` (src/data/habits.ts); `tracking` and `reminders` also read habits through the
 * internal actions at the end.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { randomUUID } from "node:crypto";
import type { Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { EARLIEST_START_DATE, normalizeSchedule, scheduleProblem, targetProblem, type Schedule, type Target } from "../lib/habit-rules";
import { assertRoomForHabit, assertStartDateKeepsCheckins } from "../lib/checkin-rules";
import { todayIn } from "../lib/dates";
import type { ImportedHabit } from "../lib/export-document";
import { checkedRule, localDateRuleFrom } from "../src/params";
import { NotFoundError } from "../src/errors";
import { requireUser, requireUserId, type CallMeta } from "../src/caller";
import { requireDatabase, type Runtime } from "../src/runtime";
import type { HabitEvent } from "../src/events";
import { habitLists, type HabitList } from "../src/habit-lists";
import type { VersionedDocuments } from "../src/versioned-documents";
import * as habits from "../src/data/habits";
import { toDefinition, toHabit, type Habit, type HabitDefinition, type HabitRecord } from "../src/data/habits";
import { SCHEMAS } from "../src/api-schemas";

export interface HabitFields {
  name: string;
  description?: string;
  color?: string | null;
  schedule?: Schedule;
  target?: Target;
  reminders?: string[];
  startDate?: string;
}
export type CreateHabitParams = HabitFields;
export interface UpdateHabitParams extends Partial<HabitFields> {
  id: string;
  archived?: boolean;
  position?: number;
}
export interface HabitIdParams {
  id: string;
}
export interface ListHabitsParams {
  archived?: boolean;
}

const UUID = { type: "uuid" } as const;
const fields = {
  name: { type: "string", trim: true, min: 1, max: 100 },
  description: { type: "string", max: 1000, optional: true },
  color: { type: "string", pattern: /^#[0-9a-fA-F]{6}$/, nullable: true, optional: true },
  schedule: { ...checkedRule("schedule", { type: "any" }, scheduleProblem), optional: true },
  target: { ...checkedRule("target", { type: "any" }, targetProblem), optional: true },
  reminders: {
    type: "array",
    max: 5,
    unique: true,
    optional: true,
    items: { type: "string", pattern: /^([01]\d|2[0-3]):[0-5]\d$/, messages: { stringPattern: "Reminders are local times HH:MM." } },
  },
  startDate: { ...localDateRuleFrom(EARLIEST_START_DATE), optional: true },
} as const;

interface HabitsMethods extends DbMethods, OutboxMethods {
  changeHabitsOf<R>(userId: string, change: (transaction: Transaction) => Promise<R>): Promise<R>;
  ownHabit(userId: string | null, id: string): Promise<HabitRecord>;
}

interface HabitsLocals {
  lists: VersionedDocuments<HabitDefinition[]>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export default function HabitsService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, HabitsMethods, HabitsLocals> {
  return {
    name: "habits",

    mixins: [DbMixin({ table: "habits", database: () => requireDatabase(runtime) }), OutboxMixin()],

    actions: {
      create: {
        rest: "POST /habits",
        auth: "user",
        response: { status: 201, schema: SCHEMAS.habit },
        params: { $$strict: true, ...fields },
        async handler(ctx: Context<CreateHabitParams, CallMeta>): Promise<Habit> {
          const user = await requireUser(ctx);
          const db = this.sequelize();
          const habit = await this.changeHabitsOf(user.id, async (transaction) => {
            const count = await habits.countHabits(db, user.id, transaction);
            assertRoomForHabit(count, runtime.config.maxHabitsPerUser);
            const record = await habits.insertHabit(db, transaction, {
              id: randomUUID(),
              userId: user.id,
              name: ctx.params.name,
              description: ctx.params.description ?? "",
              color: ctx.params.color ?? null,
              schedule: normalizeSchedule(ctx.params.schedule ?? { type: "daily" }),
              target: ctx.params.target ?? { type: "boolean" },
              reminders: [...(ctx.params.reminders ?? [])].sort(),
              startDate: ctx.params.startDate ?? todayIn(user.timezone, runtime.clock.now()),
              archived: false,
              position: count,
            });
            const created = toHabit(record);
            await this.recordEvent(transaction, "habit.created", user.id, { habit: created } satisfies HabitEvent);
            return created;
          });
          ctx.meta.$statusCode = 201;
          ctx.meta.$location = `/api/v1/habits/${habit.id}`;
          return habit;
        },
      },

      list: {
        rest: "GET /habits",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.habits },
        params: { $$strict: true, archived: { type: "boolean", convert: true, optional: true } },
        async handler(ctx: Context<ListHabitsParams, CallMeta>): Promise<Habit[]> {
          return (await habits.listHabits(this.sequelize(), requireUserId(ctx), ctx.params.archived ?? false)).map(toHabit);
        },
      },

      get: {
        rest: "GET /habits/:id",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.habit },
        params: { $$strict: true, id: UUID },
        async handler(ctx: Context<HabitIdParams, CallMeta>): Promise<Habit> {
          return toHabit(await this.ownHabit(requireUserId(ctx), ctx.params.id));
        },
      },

      update: {
        rest: "PATCH /habits/:id",
        auth: "user",
        response: { status: 200, schema: SCHEMAS.habit },
        params: {
          $$strict: true,
          id: UUID,
          ...fields,
          name: { ...fields.name, optional: true },
          archived: { type: "boolean", optional: true },
          position: { type: "number", integer: true, min: 0, max: 1_000_000, optional: true },
        },
        async handler(ctx: Context<UpdateHabitParams, CallMeta>): Promise<Habit> {
          const userId = requireUserId(ctx);
          const { id, position, startDate, ...changes } = ctx.params;
          // Check-ins are tracking's: asked before the transaction (which must not wait on another service).
          const current = await this.ownHabit(userId, id);
          if (startDate !== undefined && startDate !== current.startDate) {
            assertStartDateKeepsCheckins(startDate, await ctx.call<string | null, HabitIdParams>("tracking.earliestCheckin", { id }));
          }
          const db = this.sequelize();
          return this.changeHabitsOf(userId, async (transaction) => {
            const stored = await habits.findHabit(db, id, userId, transaction);
            if (!stored) throw new NotFoundError("Habit");
            const next: HabitRecord = {
              ...stored,
              name: changes.name ?? stored.name,
              description: changes.description ?? stored.description,
              color: changes.color !== undefined ? changes.color : stored.color,
              schedule: changes.schedule !== undefined ? normalizeSchedule(changes.schedule) : stored.schedule,
              target: changes.target ?? stored.target,
              reminders: changes.reminders !== undefined ? [...changes.reminders].sort() : stored.reminders,
              startDate: startDate ?? stored.startDate,
              archived: changes.archived ?? stored.archived,
            };
            if (position !== undefined) {
              const target = Math.min(position, (await habits.countHabits(db, userId, transaction)) - 1);
              if (target !== stored.position) {
                // Shift the habits between the old and the new place by one, towards the gap.
                if (target < stored.position) await habits.shiftPositions(db, transaction, userId, target, stored.position - 1, 1);
                else await habits.shiftPositions(db, transaction, userId, stored.position + 1, target, -1);
                next.position = target;
              }
            }
            if (!same(next.schedule, stored.schedule) || !same(next.target, stored.target) || next.startDate !== stored.startDate) {
              // Streaks and scores are now computed from other rules: older cached values are stale.
              next.revision = stored.revision + 1;
            }
            const habit = toHabit(await habits.saveHabit(db, transaction, next));
            const event = !stored.archived && habit.archived ? "habit.archived" : "habit.updated";
            await this.recordEvent(transaction, event, userId, { habit } satisfies HabitEvent);
            return habit;
          });
        },
      },

      remove: {
        rest: "DELETE /habits/:id",
        auth: "user",
        response: { status: 204 },
        params: { $$strict: true, id: UUID },
        async handler(ctx: Context<HabitIdParams, CallMeta>): Promise<null> {
          const userId = requireUserId(ctx);
          const db = this.sequelize();
          await this.changeHabitsOf(userId, async (transaction) => {
            const stored = await habits.findHabit(db, ctx.params.id, userId, transaction);
            if (!stored) throw new NotFoundError("Habit");
            const habit = toHabit(stored);
            // Its check-ins go with it (ON DELETE CASCADE).
            await habits.deleteHabit(db, transaction, habit.id);
            await habits.closeGap(db, transaction, userId, habit.position);
            await this.recordEvent(transaction, "habit.deleted", userId, { habit } satisfies HabitEvent);
          });
          ctx.meta.$statusCode = 204;
          return null;
        },
      },

      /**
       * One habit with what its streak is computed from (for `tracking`): the caller's (`userId`),
       * or, without it, anyone's (internal callers only: this action has no route).
       */
      definition: {
        visibility: "public",
        params: { $$strict: true, id: UUID, userId: { ...UUID, optional: true } },
        async handler(ctx: Context<{ id: string; userId?: string }>): Promise<HabitDefinition> {
          return toDefinition(await this.ownHabit(ctx.params.userId ?? null, ctx.params.id));
        },
      },

      /**
       * All of a user's habits (archived too) in position order, with what their streaks are
       * computed from, as published to the shared store (for `tracking`, when it finds no copy there).
       */
      ofUser: {
        visibility: "public",
        params: { $$strict: true, userId: UUID },
        async handler(ctx: Context<{ userId: string }>): Promise<HabitList> {
          const stored = await habits.habitsOfUser(this.sequelize(), ctx.params.userId);
          const list: HabitList = { revision: stored.revision, value: stored.habits.map(toDefinition) };
          await this.lists.put(ctx.params.userId, list.revision, list.value);
          return list;
        },
      },

      /**
       * Adds imported habits after the user's own, in one transaction (for `tracking`'s import,
       * which has checked them whole: lib/export-document.ts); the habits made, in order.
       */
      importMany: {
        visibility: "public",
        params: { $$strict: true, userId: UUID, habits: { type: "array", max: 10_000, items: "object" } },
        async handler(ctx: Context<{ userId: string; habits: ImportedHabit[] }>): Promise<Habit[]> {
          const { userId } = ctx.params;
          const db = this.sequelize();
          return this.changeHabitsOf(userId, async (transaction) => {
            const count = await habits.countHabits(db, userId, transaction);
            if (ctx.params.habits.length > 0) assertRoomForHabit(count + ctx.params.habits.length - 1, runtime.config.maxHabitsPerUser);
            const made: Habit[] = [];
            for (const [i, fields] of ctx.params.habits.entries()) {
              const record = await habits.insertHabit(db, transaction, {
                id: randomUUID(),
                userId,
                name: fields.name,
                description: fields.description,
                color: fields.color,
                schedule: normalizeSchedule(fields.schedule),
                target: fields.target,
                reminders: fields.reminders,
                startDate: fields.startDate,
                archived: fields.archived,
                position: count + i,
              });
              const created = toHabit(record);
              await this.recordEvent(transaction, "habit.created", userId, { habit: created } satisfies HabitEvent);
              made.push(created);
            }
            return made;
          });
        },
      },

      /** Takes back habits `importMany` made when their check-ins could not be stored (all or nothing). */
      unimport: {
        visibility: "public",
        params: { $$strict: true, userId: UUID, ids: { type: "array", items: UUID, max: 10_000 } },
        async handler(ctx: Context<{ userId: string; ids: string[] }>): Promise<{ removed: number }> {
          const { userId, ids } = ctx.params;
          const db = this.sequelize();
          return this.changeHabitsOf(userId, async (transaction) => {
            let removed = 0;
            // Newest first, so each gap closed is at the end.
            for (const id of [...ids].reverse()) {
              const stored = await habits.findHabit(db, id, userId, transaction);
              if (!stored) continue;
              await habits.deleteHabit(db, transaction, id);
              await habits.closeGap(db, transaction, userId, stored.position);
              await this.recordEvent(transaction, "habit.deleted", userId, { habit: toHabit(stored) } satisfies HabitEvent);
              removed++;
            }
            return { removed };
          });
        },
      },

      /** Every active habit that has reminders (for the reminder scan). */
      withReminders: {
        visibility: "public",
        params: { $$strict: true },
        async handler(): Promise<HabitDefinition[]> {
          return (await habits.habitsWithReminders(this.sequelize())).map(toDefinition);
        },
      },
    },

    methods: {
      /**
       * One change to a user's habits, in a transaction that holds the user's list row (changes
       * to one user's habits happen one at a time) and publishes the user's habits as they are
       * after it (src/habit-lists.ts): pending before the commit, the new list after.
       */
      async changeHabitsOf<R>(userId: string, change: (transaction: Transaction) => Promise<R>): Promise<R> {
        const db = this.sequelize();
        const { result, list } = await db.transaction(async (transaction) => {
          await habits.bumpListRevision(db, transaction, userId);
          const result = await change(transaction);
          const list = await habits.habitsOfUser(db, userId, transaction);
          await this.lists.markPending(userId, list.revision);
          return { result, list };
        });
        await this.lists.put(userId, list.revision, list.habits.map(toDefinition));
        return result;
      },

      async ownHabit(userId: string | null, id: string) {
        const record = await habits.findHabit(this.sequelize(), id, userId);
        if (!record) throw new NotFoundError("Habit");
        return record;
      },
    },

    created() {
      this.lists = habitLists(runtime.store, (message) => this.logger.warn(message));
    },
  };
}

/**
 * Habits: create, list, read, update (including archive and reorder) and delete, each for the
 * caller's own habits only — another user's habit is 404, never 403. Positions stay 0..n−1
 * without gaps; changes to them are serialised per user by locking the user's row. Every change
 * and its event (`habit.created`, `habit.updated`, `habit.archived`, `habit.deleted`) commit
 * together through the outbox.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { DataTypes, QueryTypes, type Model, type ModelStatic, type Transaction } from "sequelize";
import { randomUUID } from "node:crypto";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { EARLIEST_START_DATE, normalizeSchedule, scheduleProblem, targetProblem, type Schedule, type Target } from "../lib/habit-rules";
import { todayIn } from "../lib/dates";
import { checkedRule, localDateRuleFrom } from "../src/params";
import { getRuntime } from "../src/runtime";
import { NotFoundError, validationError } from "../src/errors";
import { now } from "../src/clock";
import type { AuthMeta } from "./auth.service";

export interface Habit {
  id: string;
  name: string;
  description: string;
  color: string | null;
  schedule: Schedule;
  target: Target;
  reminders: string[];
  startDate: string;
  archived: boolean;
  position: number;
  createdAt: string;
  updatedAt: string;
}

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
/** Payload of `habit.created`, `habit.updated`, `habit.archived` and `habit.deleted`. */
export interface HabitEvent {
  habit: Habit;
}

/** A habit as stored, as plain fields. */
export interface HabitRecord extends Omit<Habit, "createdAt" | "updatedAt"> {
  userId: string;
  /** Bumped whenever what the streak is computed from changes (see migrations/003). */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface HabitRow extends Model, HabitRecord {}

/** Columns selecting a HabitRecord from `habits h` in plain SQL. */
export const HABIT_RECORD_COLUMNS = `h.id, h.user_id AS "userId", h.name, h.description, h.color, h.schedule, h.target,
  h.reminders, to_char(h.start_date, 'YYYY-MM-DD') AS "startDate", h.archived, h.position,
  h.revision::float8 AS revision, h.created_at AS "createdAt", h.updated_at AS "updatedAt"`;

export function toHabit(row: HabitRecord): Habit {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    color: row.color,
    schedule: row.schedule,
    target: row.target,
    reminders: row.reminders,
    startDate: row.startDate,
    archived: row.archived,
    position: row.position,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The habits table for moleculer-db's Sequelize adapter (shared with the tracking service). */
export const HABIT_MODEL = {
        name: "habit",
        define: {
          id: { type: DataTypes.UUID, primaryKey: true },
          userId: { type: DataTypes.UUID, allowNull: false },
          name: { type: DataTypes.TEXT, allowNull: false },
          description: { type: DataTypes.TEXT, allowNull: false },
          color: { type: DataTypes.TEXT, allowNull: true },
          schedule: { type: DataTypes.JSONB, allowNull: false },
          target: { type: DataTypes.JSONB, allowNull: false },
          reminders: { type: DataTypes.JSONB, allowNull: false },
          startDate: { type: DataTypes.DATEONLY, allowNull: false },
          archived: { type: DataTypes.BOOLEAN, allowNull: false },
          position: { type: DataTypes.INTEGER, allowNull: false },
          revision: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0, get(this: Model) { return Number(this.getDataValue("revision")); } },
        },
        options: { tableName: "habits", underscored: true, timestamps: true },
      };

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
  habits(): ModelStatic<HabitRow>;
  ownHabit(userId: string, id: string, transaction?: Transaction): Promise<HabitRow>;
  lockUser(userId: string, transaction: Transaction): Promise<string>;
  callerId(ctx: Context<unknown, AuthMeta>): string;
}

const HabitsService: ServiceSchema<ServiceSettingSchema, HabitsMethods> = {
  name: "habits",

  mixins: [
    DbMixin({ model: HABIT_MODEL }),
    OutboxMixin(),
  ],

  actions: {
    create: {
      rest: "POST /habits",
      params: { $$strict: true, ...fields },
      async handler(ctx: Context<CreateHabitParams, AuthMeta>): Promise<Habit> {
        const userId = this.callerId(ctx);
        const habit = await this.sequelize().transaction(async (transaction) => {
          const timezone = await this.lockUser(userId, transaction);
          const [{ count }] = await this.sequelize().query<{ count: string }>(
            "SELECT count(*) AS count FROM habits WHERE user_id = $1",
            { bind: [userId], type: QueryTypes.SELECT, transaction },
          );
          const { maxHabitsPerUser } = getRuntime().config;
          if (Number(count) >= maxHabitsPerUser) {
            throw validationError([
              { field: "habits", type: "habitLimit", message: `An account holds at most ${maxHabitsPerUser} habits (archived ones included).` },
            ]);
          }
          const row = await this.habits().create(
            {
              id: randomUUID(),
              userId,
              name: ctx.params.name,
              description: ctx.params.description ?? "",
              color: ctx.params.color ?? null,
              schedule: normalizeSchedule(ctx.params.schedule ?? { type: "daily" }),
              target: ctx.params.target ?? { type: "boolean" },
              reminders: [...(ctx.params.reminders ?? [])].sort(),
              startDate: ctx.params.startDate ?? todayIn(timezone, now()),
              archived: false,
              position: Number(count),
            },
            { transaction },
          );
          const created = toHabit(row);
          await this.recordEvent(transaction, "habit.created", userId, { habit: created } satisfies HabitEvent);
          return created;
        });
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = `/api/v1/habits/${habit.id}`;
        return habit;
      },
    },

    list: {
      rest: "GET /habits",
      params: { $$strict: true, archived: { type: "boolean", convert: true, optional: true } },
      async handler(ctx: Context<ListHabitsParams, AuthMeta>): Promise<Habit[]> {
        const rows = await this.habits().findAll({
          where: { userId: this.callerId(ctx), archived: ctx.params.archived ?? false },
          order: [["position", "ASC"]],
        });
        return rows.map(toHabit);
      },
    },

    get: {
      rest: "GET /habits/:id",
      params: { $$strict: true, id: UUID },
      async handler(ctx: Context<HabitIdParams, AuthMeta>): Promise<Habit> {
        return toHabit(await this.ownHabit(this.callerId(ctx), ctx.params.id));
      },
    },

    update: {
      rest: "PATCH /habits/:id",
      params: {
        $$strict: true,
        id: UUID,
        ...fields,
        name: { ...fields.name, optional: true },
        archived: { type: "boolean", optional: true },
        position: { type: "number", integer: true, min: 0, max: 1_000_000, optional: true },
      },
      async handler(ctx: Context<UpdateHabitParams, AuthMeta>): Promise<Habit> {
        const userId = this.callerId(ctx);
        const { id, position, startDate, ...changes } = ctx.params;
        return this.sequelize().transaction(async (transaction) => {
          await this.lockUser(userId, transaction);
          const row = await this.ownHabit(userId, id, transaction);
          if (startDate !== undefined && startDate !== row.startDate) {
            const [{ first }] = await this.sequelize().query<{ first: string | null }>(
              "SELECT to_char(min(date), 'YYYY-MM-DD') AS first FROM checkins WHERE habit_id = $1",
              { bind: [id], type: QueryTypes.SELECT, transaction },
            );
            if (first !== null && startDate > first) {
              throw validationError([
                { field: "startDate", type: "startDateAfterCheckin", message: `The habit has a check-in on ${first}, before ${startDate}.` },
              ]);
            }
            row.startDate = startDate;
          }
          const wasArchived = row.archived;
          if (changes.name !== undefined) row.name = changes.name;
          if (changes.description !== undefined) row.description = changes.description;
          if (changes.color !== undefined) row.color = changes.color;
          if (changes.schedule !== undefined) row.schedule = normalizeSchedule(changes.schedule);
          if (changes.target !== undefined) row.target = changes.target;
          if (changes.reminders !== undefined) row.reminders = [...changes.reminders].sort();
          if (changes.archived !== undefined) row.archived = changes.archived;
          if (position !== undefined) {
            const [{ count }] = await this.sequelize().query<{ count: string }>(
              "SELECT count(*) AS count FROM habits WHERE user_id = $1",
              { bind: [userId], type: QueryTypes.SELECT, transaction },
            );
            const target = Math.min(position, Number(count) - 1);
            if (target !== row.position) {
              // Shift the habits between the old and the new place by one, towards the gap.
              const [low, high, step] = target < row.position ? [target, row.position - 1, 1] : [row.position + 1, target, -1];
              await this.sequelize().query(
                "UPDATE habits SET position = position + $4 WHERE user_id = $1 AND position BETWEEN $2 AND $3",
                { bind: [userId, low, high, step], transaction },
              );
              row.position = target;
            }
          }
          if (row.changed("schedule") || row.changed("target") || row.changed("startDate")) {
            // Streaks and scores are now computed from other rules: older cached values are stale.
            row.revision = row.revision + 1;
          }
          row.changed("updatedAt", true);
          await row.save({ transaction });
          const habit = toHabit(row);
          const event = !wasArchived && habit.archived ? "habit.archived" : "habit.updated";
          await this.recordEvent(transaction, event, userId, { habit } satisfies HabitEvent);
          return habit;
        });
      },
    },

    remove: {
      rest: "DELETE /habits/:id",
      params: { $$strict: true, id: UUID },
      async handler(ctx: Context<HabitIdParams, AuthMeta>): Promise<null> {
        const userId = this.callerId(ctx);
        await this.sequelize().transaction(async (transaction) => {
          await this.lockUser(userId, transaction);
          const row = await this.ownHabit(userId, ctx.params.id, transaction);
          const habit = toHabit(row);
          // Its check-ins go with it (ON DELETE CASCADE).
          await row.destroy({ transaction });
          await this.sequelize().query("UPDATE habits SET position = position - 1 WHERE user_id = $1 AND position > $2", {
            bind: [userId, habit.position],
            transaction,
          });
          await this.recordEvent(transaction, "habit.deleted", userId, { habit } satisfies HabitEvent);
        });
        ctx.meta.$statusCode = 204;
        return null;
      },
    },
  },

  methods: {
    habits() {
      return this.dbModel<HabitRow>();
    },

    callerId(ctx) {
      const id = ctx.meta.user?.id;
      // The gateway authenticates every habits route; a call without a user is a wiring bug.
      if (!id) throw new NotFoundError("Habit");
      return id;
    },

    async ownHabit(userId, id, transaction) {
      const row = await this.habits().findOne({ where: { id, userId }, transaction });
      if (!row) throw new NotFoundError("Habit");
      return row;
    },

    /** Serialises a user's position changes; returns the user's time zone. */
    async lockUser(userId, transaction) {
      const [user] = await this.sequelize().query<{ timezone: string }>(
        "SELECT timezone FROM users WHERE id = $1 FOR UPDATE",
        { bind: [userId], type: QueryTypes.SELECT, transaction },
      );
      if (!user) throw new NotFoundError("Habit");
      return user.timezone;
    },
  },
};

export default HabitsService;

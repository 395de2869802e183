/**
 * Reminders (DESIGN.md §4): at each reminder time of a habit, local to its owner, on a day the
 * habit is due and not yet completed or skipped, one `reminder.due` event — exactly once
 * however many reminders nodes run.
 *
 * Every node ticks, but a tick runs in one transaction that first takes a cluster-wide advisory
 * lock (the lease: one scanning node at a time; if it dies, its connection and lock go with it
 * and the next node's tick takes over). The occurrence's row in `reminder_fires`
 * (habit, local date, local time) is the claim, written in the same transaction as the outbox
 * event, so a fire is recorded and announced together or not at all, and never twice.
 * A tick looks back over REMINDER_GRACE_MS, so reminders whose minute passed while every node
 * was down (or between ticks) still fire, late, while they are fresh enough to be useful.
 * Deleted habits drop out with their rows (ON DELETE CASCADE), archived ones by the scan's filter.
 */
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import { QueryTypes, type Transaction } from "sequelize";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { getRuntime } from "../src/runtime";
import { now } from "../src/clock";
import { Poller } from "../src/poller";
import { HABIT_MODEL } from "./habits.service";
import { occurrencesBetween, type ReminderOccurrence } from "../lib/reminder-times";
import { computeProgress, isDueToday, type StreakUnit } from "../lib/progress";
import { isCompleted, type CheckinFacts, type Schedule, type Target } from "../lib/habit-rules";
import type { LocalDate } from "../lib/dates";

/** Payload of `reminder.due`. */
export interface ReminderDueEvent {
  habitId: string;
  habitName: string;
  /** The local date and time the reminder was set for. */
  date: LocalDate;
  time: string;
  /** The current streak on that date, before any check-in that day. */
  streak: number;
  unit: StreakUnit;
}

interface ReminderHabit {
  id: string;
  user_id: string;
  name: string;
  schedule: Schedule;
  target: Target;
  start_date: LocalDate;
  reminders: string[];
  timezone: string;
}

interface Candidate {
  habit: ReminderHabit;
  occurrence: ReminderOccurrence;
}

/** One reminder occurrence of one habit, as `reminder_fires` keys it. */
function fireKey(habitId: string, date: LocalDate, time: string): string {
  return `${habitId} ${date} ${time}`;
}

/** pg advisory lock key of the scanning lease ("remind" in ASCII). */
const SCAN_LOCK = 0x72656d696e64;

interface RemindersLocals {
  scanner: Poller;
}

interface RemindersMethods extends DbMethods, OutboxMethods {
  /** Scans now (or joins the scan in progress); resolves to the number of reminders fired. */
  fireDueReminders(): Promise<number>;
  /** One scan: fires what is due. */
  scan(): Promise<number>;
  candidates(transaction: Transaction, until: Date): Promise<Candidate[]>;
}

const RemindersService: ServiceSchema<ServiceSettingSchema, RemindersMethods, RemindersLocals> = {
  name: "reminders",

  mixins: [DbMixin({ model: HABIT_MODEL, poolMax: 2 }), OutboxMixin()],

  actions: {
    /** Runs a scan now (operators, from the REPL: `call reminders.tick`). */
    tick: {
      visibility: "public",
      params: { $$strict: true },
      async handler(): Promise<{ fired: number }> {
        return { fired: await this.fireDueReminders() };
      },
    },
  },

  methods: {
    fireDueReminders() {
      return this.scanner.runNow();
    },

    scan() {
      return this.sequelize().transaction(async (transaction) => {
        const db = this.sequelize();
        const [{ locked }] = await db.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", {
          bind: [SCAN_LOCK],
          type: QueryTypes.SELECT,
          transaction,
        });
        if (!locked) return 0;
        const at = now();
        const due = await this.candidates(transaction, at);
        if (due.length === 0) return 0;
        const history = await db.query<CheckinFacts & { habit_id: string }>(
          `SELECT habit_id, to_char(date, 'YYYY-MM-DD') AS date, status, value FROM checkins
            WHERE habit_id = ANY($1::uuid[]) ORDER BY date`,
          { bind: [[...new Set(due.map((candidate) => candidate.habit.id))]], type: QueryTypes.SELECT, transaction },
        );
        let fired = 0;
        for (const { habit, occurrence } of due) {
          const checkins = history.filter((row) => row.habit_id === habit.id && row.date <= occurrence.date);
          const input = { schedule: habit.schedule, target: habit.target, startDate: habit.start_date, today: occurrence.date, checkins };
          const that = checkins.find((checkin) => checkin.date === occurrence.date);
          const settled = that !== undefined && (that.status === "skipped" || isCompleted(that, habit.target));
          if (settled || !isDueToday(input)) continue;
          const [claimed] = (await db.query(
            `INSERT INTO reminder_fires (habit_id, local_date, local_time) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING RETURNING habit_id`,
            { bind: [habit.id, occurrence.date, occurrence.time], transaction },
          )) as [unknown[], unknown];
          if (claimed.length === 0) continue;
          const progress = computeProgress(input);
          await this.recordEvent(transaction, "reminder.due", habit.user_id, {
            habitId: habit.id,
            habitName: habit.name,
            date: occurrence.date,
            time: occurrence.time,
            streak: progress.current,
            unit: progress.unit,
          } satisfies ReminderDueEvent);
          fired++;
        }
        return fired;
      });
    },

    /** Reminder occurrences within the grace window that have not fired yet. */
    async candidates(transaction, until) {
      const { config } = getRuntime();
      const since = new Date(until.getTime() - config.reminders.graceMs);
      const db = this.sequelize();
      const habits = await db.query<ReminderHabit>(
        `SELECT h.id, h.user_id, h.name, h.schedule, h.target, to_char(h.start_date, 'YYYY-MM-DD') AS start_date,
                h.reminders, u.timezone
           FROM habits h JOIN users u ON u.id = h.user_id
          WHERE NOT h.archived AND h.reminders <> '[]'::jsonb`,
        { type: QueryTypes.SELECT, transaction },
      );
      const found: Candidate[] = habits.flatMap((habit) =>
        occurrencesBetween(habit.reminders, habit.timezone, since, until).map((occurrence) => ({ habit, occurrence })),
      );
      if (found.length === 0) return [];
      const fired = await db.query<{ habit_id: string; local_date: string; local_time: string }>(
        `SELECT habit_id, to_char(local_date, 'YYYY-MM-DD') AS local_date, local_time FROM reminder_fires
          WHERE habit_id = ANY($1::uuid[]) AND local_date >= $2::date`,
        {
          bind: [[...new Set(found.map((candidate) => candidate.habit.id))], found.map((c) => c.occurrence.date).sort()[0]],
          type: QueryTypes.SELECT,
          transaction,
        },
      );
      const done = new Set(fired.map((row) => fireKey(row.habit_id, row.local_date, row.local_time)));
      return found
        .filter(({ habit, occurrence }) => !done.has(fireKey(habit.id, occurrence.date, occurrence.time)))
        .sort((a, b) => a.occurrence.at.getTime() - b.occurrence.at.getTime());
    },
  },

  created() {
    this.scanner = new Poller({
      run: () => this.scan(),
      intervalMs: getRuntime().config.reminders.tickMs,
      onError: (err) => this.logger.warn(`Reminder scan failed: ${err.message}`),
    });
  },

  started() {
    this.scanner.start();
  },

  async stopped() {
    await this.scanner.stop();
  },
};

export default RemindersService;

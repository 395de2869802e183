/**
 * Reminders (docs/contract.md, "Domain rules"): at each reminder time of a habit, local to its
 * owner, on a day the habit is due and not yet completed or skipped, one `reminder.due` event —
 * exactly once however many reminders nodes run.
 *
 * Every node ticks. A tick first gathers, from the services that own them, the habits with
 * reminders (`habits.withReminders`), their owners' zones (`auth.timezones`) and the candidates'
 * check-ins (`tracking.histories`); then, in one transaction, it takes a cluster-wide advisory
 * lock (the lease: one node records at a time; if it dies, its connection and lock go with it)
 * and claims each due occurrence by its row in `reminder_fires` (habit, local date, local time),
 * written with the outbox event, so a fire is recorded and announced together or not at all, and
 * never twice. A tick looks back over REMINDER_GRACE_MS, so reminders whose minute passed while
 * every node was down (or between ticks) still fire, late, while they are fresh enough to be useful.
 * Deleted habits drop out with their rows (ON DELETE CASCADE), archived ones from the habits list.
 * Owns `reminder_fires` (src/data/reminder-fires.ts).
 */
import type { ServiceSchema, ServiceSettingSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../mixins/outbox.mixin";
import { requireDatabase, type Runtime } from "../src/runtime";
import { METRICS, registerMetrics } from "../src/node-metrics";
import { Poller } from "../src/poller";
import type { ReminderDueEvent } from "../src/events";
import type { HabitDefinition } from "../src/data/habits";
import { claimFire, fireKey, firedSince, tryScanLease } from "../src/data/reminder-fires";
import { occurrencesBetween, type ReminderOccurrence } from "../lib/reminder-times";
import { computeProgress, shouldRemind } from "../lib/progress";
import type { CheckinFacts } from "../lib/habit-rules";

interface Candidate {
  habit: HabitDefinition;
  occurrence: ReminderOccurrence;
}

interface RemindersLocals {
  scanner: Poller;
}

interface RemindersMethods extends DbMethods, OutboxMethods {
  /** Scans now (or joins the scan in progress); resolves to the number of reminders fired. */
  fireDueReminders(): Promise<number>;
  /** One scan: fires what is due. */
  scan(): Promise<number>;
  /** Reminder occurrences of the grace window, oldest first. */
  candidates(until: Date): Promise<Candidate[]>;
}

export default function RemindersService(runtime: Runtime): ServiceSchema<ServiceSettingSchema, RemindersMethods, RemindersLocals> {
  return {
    name: "reminders",

    mixins: [DbMixin({ table: "reminder_fires", database: () => requireDatabase(runtime), poolMax: 2 }), OutboxMixin()],

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

      async scan() {
        const at = runtime.clock.now();
        const due = await this.candidates(at);
        if (due.length === 0) return 0;
        const habitIds = [...new Set(due.map((candidate) => candidate.habit.id))];
        const histories = await this.broker.call<Record<string, CheckinFacts[]>, { habitIds: string[] }>("tracking.histories", {
          habitIds,
        });
        const db = this.sequelize();
        return db.transaction(async (transaction) => {
          if (!(await tryScanLease(db, transaction))) return 0;
          const fired = await firedSince(db, transaction, habitIds, due.map((candidate) => candidate.occurrence.date).sort()[0]);
          let count = 0;
          for (const { habit, occurrence } of due) {
            if (fired.has(fireKey(habit.id, occurrence.date, occurrence.time))) continue;
            const checkins = (histories[habit.id] ?? []).filter((checkin) => checkin.date <= occurrence.date);
            const history = {
              schedule: habit.schedule,
              target: habit.target,
              startDate: habit.startDate,
              today: occurrence.date,
              checkins,
            };
            if (!shouldRemind(history)) continue;
            if (!(await claimFire(db, transaction, habit.id, occurrence.date, occurrence.time))) continue;
            const progress = computeProgress(history);
            await this.recordEvent(transaction, "reminder.due", habit.userId, {
              habitId: habit.id,
              habitName: habit.name,
              date: occurrence.date,
              time: occurrence.time,
              streak: progress.current,
              unit: progress.unit,
            } satisfies ReminderDueEvent);
            transaction.afterCommit(() => this.broker.metrics.increment(METRICS.remindersFired));
            count++;
          }
          return count;
        });
      },

      async candidates(until: Date): Promise<Candidate[]> {
        const since = new Date(until.getTime() - runtime.config.reminders.graceMs);
        const habits = await this.broker.call<HabitDefinition[], Record<string, never>>("habits.withReminders", {});
        if (habits.length === 0) return [];
        const userIds = [...new Set(habits.map((habit) => habit.userId))];
        const zones = await this.broker.call<Record<string, string>, { userIds: string[] }>("auth.timezones", { userIds });
        return habits
          .filter((habit) => zones[habit.userId] !== undefined)
          .flatMap((habit) =>
            occurrencesBetween(habit.reminders, zones[habit.userId], since, until).map((occurrence) => ({ habit, occurrence })),
          )
          .sort((a, b) => a.occurrence.at.getTime() - b.occurrence.at.getTime());
      },
    },

    created() {
      registerMetrics(this.broker, [METRICS.remindersFired]);
      this.scanner = new Poller({
        run: () => this.scan(),
        intervalMs: runtime.config.reminders.tickMs,
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
}

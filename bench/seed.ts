/**
 * The benchmark's data, written straight into a fresh, migrated database in a few set-based
 * statements: users in five zones with one live session each, 8 habits a user of every schedule
 * and target kind, and a year of check-ins (each habit kept up on 60–95 % of days, now and then
 * skipped) up to each user's yesterday, so the day's check-ins are still to come. A separate set
 * of users (E1) have daily habits on a six-day run, so that today's check-in crosses the 7-day milestone.
 * The milestones each habit's current run has reached are recorded, as the system would have.
 */
import type { Client } from "pg";
import { todayIn } from "../lib/dates";
import { milestonesReached } from "../lib/checkin-rules";
import type { Schedule, Target } from "../lib/habit-rules";
import { computeProgress } from "../lib/progress";
import * as checkins from "../src/data/checkins";
import { AccessTokens } from "../src/tokens";

export const BENCH_PASSWORD = "bench-password-1";
export const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"];

export interface SeededHabit {
  id: string;
  /** A target with a value (at_least, at_most): a done check-in carries one. */
  numeric: boolean;
  /** The owner's local today when the data was read back. */
  today: string;
  startDate: string;
}

export interface SeededUser {
  id: string;
  email: string;
  timezone: string;
  token: string;
  habits: SeededHabit[];
}

export interface SeedPlan {
  users: number;
  habitsPerUser: number;
  days: number;
  /** Users whose habits each stand one check-in before the 7-day milestone. */
  milestoneUsers: number;
}

export interface Seeded {
  users: SeededUser[];
  milestoneUsers: SeededUser[];
  checkins: number;
}

/** Eight habits of every schedule and target kind, repeated when a user has more. */
const HABIT_KINDS: Array<{ schedule: object; target: object }> = [
  { schedule: { type: "daily" }, target: { type: "boolean" } },
  { schedule: { type: "daily" }, target: { type: "at_least", value: 5, unit: "km" } },
  { schedule: { type: "daily" }, target: { type: "boolean" } },
  { schedule: { type: "weekdays", days: [1, 2, 3, 4, 5] }, target: { type: "boolean" } },
  { schedule: { type: "times_per_week", times: 3 }, target: { type: "boolean" } },
  { schedule: { type: "every_n_days", n: 2 }, target: { type: "boolean" } },
  { schedule: { type: "daily" }, target: { type: "at_most", value: 2, unit: "cups" } },
  { schedule: { type: "daily" }, target: { type: "boolean" } },
];

async function insertUsers(db: Client, prefix: string, count: number, passwordHash: string): Promise<void> {
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, timezone)
     SELECT gen_random_uuid(), $1 || i || '@bench.example', $2, 'Bench ' || i, ($3::text[])[1 + i % cardinality($3::text[])]
       FROM generate_series(1, $4) AS i`,
    [prefix, passwordHash, ZONES, count],
  );
  await db.query(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT gen_random_uuid(), id, now() + interval '30 days' FROM users WHERE email LIKE $1 || '%'`,
    [prefix],
  );
}

async function insertHabits(db: Client, prefix: string, perUser: number, days: number, kindsToUse = HABIT_KINDS): Promise<void> {
  const kinds = Array.from({ length: perUser }, (_, i) => kindsToUse[i % kindsToUse.length]);
  await db.query(
    `INSERT INTO habits (id, user_id, name, schedule, target, start_date, position)
     SELECT gen_random_uuid(), u.id, 'Habit ' || (k.n - 1), k.kind->'schedule', k.kind->'target',
            (now() AT TIME ZONE u.timezone)::date - $3::int, k.n - 1
       FROM users u CROSS JOIN LATERAL jsonb_array_elements($2::jsonb) WITH ORDINALITY AS k(kind, n)
      WHERE u.email LIKE $1 || '%'`,
    [prefix, JSON.stringify(kinds), days],
  );
}

/** A year up to yesterday: each habit kept up on its own share of days (60–95 %), 5 % of those skipped. */
async function insertHistory(db: Client, prefix: string): Promise<void> {
  await db.query("SELECT setseed(0.42)");
  await db.query(
    `INSERT INTO checkins (habit_id, date, status, value)
     SELECT h.id, d::date,
            CASE WHEN random() < 0.05 THEN 'skipped' ELSE 'done' END,
            CASE WHEN h.target->>'type' = 'boolean' THEN NULL ELSE round((random() * 8)::numeric, 1)::float8 END
       FROM habits h JOIN users u ON u.id = h.user_id
       CROSS JOIN LATERAL generate_series(h.start_date, (now() AT TIME ZONE u.timezone)::date - 1, interval '1 day') AS d
      WHERE u.email LIKE $1 || '%' AND random() < 0.6 + (abs(hashtext(h.id::text)) % 36) / 100.0`,
    [prefix],
  );
}

/** Six done days up to yesterday: today's check-in makes seven. */
async function insertSixDayRuns(db: Client, prefix: string): Promise<void> {
  await db.query(
    `INSERT INTO checkins (habit_id, date, status)
     SELECT h.id, (now() AT TIME ZONE u.timezone)::date - back, 'done'
       FROM habits h JOIN users u ON u.id = h.user_id CROSS JOIN generate_series(1, 6) AS back
      WHERE u.email LIKE $1 || '%'`,
    [prefix],
  );
}

/** The milestones of each habit's current run, as the check-ins that made it would have recorded them. */
async function insertCurrentRunMilestones(db: Client): Promise<void> {
  const { rows: habits } = await db.query<{ id: string; schedule: Schedule; target: Target; startDate: string; timezone: string }>(
    `SELECT h.id, h.schedule, h.target, to_char(h.start_date, 'YYYY-MM-DD') AS "startDate", u.timezone
       FROM habits h JOIN users u ON u.id = h.user_id`,
  );
  const now = new Date();
  for (let at = 0; at < habits.length; at += 1000) {
    const batch = habits.slice(at, at + 1000);
    const { rows } = await db.query<{ habitId: string; history: string }>({
      ...checkins.HISTORIES,
      values: [batch.map((habit) => habit.id)],
    });
    const histories = new Map(rows.map((row) => [row.habitId, checkins.unpackHistory(row.history)]));
    const reached: Array<{ habitId: string; milestone: number; unit: string; runStart: string }> = [];
    for (const habit of batch) {
      const today = todayIn(habit.timezone, now);
      const progress = computeProgress({ ...habit, today, checkins: histories.get(habit.id) ?? [] });
      for (const milestone of milestonesReached(0, progress)) {
        reached.push({ habitId: habit.id, milestone, unit: progress.unit, runStart: progress.currentRunStart as string });
      }
    }
    await db.query(
      `INSERT INTO milestones (habit_id, milestone, unit, run_start)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::date[])`,
      ["habitId", "milestone", "unit", "runStart"].map((key) => reached.map((row) => row[key as keyof typeof row])),
    );
  }
}

async function readBack(db: Client, prefix: string, tokens: AccessTokens): Promise<SeededUser[]> {
  const { rows } = await db.query<{ id: string; email: string; timezone: string; sessionId: string; habits: SeededHabit[] }>(
    `SELECT u.id, u.email, u.timezone, s.id AS "sessionId",
            (SELECT jsonb_agg(jsonb_build_object('id', h.id, 'numeric', h.target->>'type' <> 'boolean', 'startDate', to_char(h.start_date, 'YYYY-MM-DD')) ORDER BY h.position)
               FROM habits h WHERE h.user_id = u.id) AS habits
       FROM users u JOIN sessions s ON s.user_id = u.id
      WHERE u.email LIKE $1 || '%' ORDER BY u.email`,
    [prefix],
  );
  const now = new Date();
  return rows.map((row) => {
    const today = todayIn(row.timezone, now);
    return {
      id: row.id,
      email: row.email,
      timezone: row.timezone,
      token: tokens.sign({ userId: row.id, role: "user", sessionId: row.sessionId }),
      habits: row.habits.map((habit) => ({ ...habit, today })),
    };
  });
}

export async function seed(db: Client, plan: SeedPlan, passwordHash: string, tokens: AccessTokens): Promise<Seeded> {
  await insertUsers(db, "bench", plan.users, passwordHash);
  await insertHabits(db, "bench", plan.habitsPerUser, plan.days);
  await insertHistory(db, "bench");
  await insertUsers(db, "e1-", plan.milestoneUsers, passwordHash);
  // Daily yes/no habits: six done days in a row are a six-day streak for them (not for other schedules or targets).
  await insertHabits(db, "e1-", plan.habitsPerUser, 6, [HABIT_KINDS[0]]);
  await insertSixDayRuns(db, "e1-");
  await insertCurrentRunMilestones(db);
  // Every habit has been written to (its check-ins have a revision), as in a database in use.
  await db.query("INSERT INTO habit_progress (habit_id, revision) SELECT id, 1 FROM habits");
  await db.query("ANALYZE");
  const [{ count }] = (await db.query<{ count: string }>("SELECT count(*) AS count FROM checkins")).rows;
  return { users: await readBack(db, "bench", tokens), milestoneUsers: await readBack(db, "e1-", tokens), checkins: Number(count) };
}

/**
 * Cost of rebuilding streak + score (computeProgress) from 10 years of daily history
 * (issue 3 asks for well under a millisecond or two). Run: npm run bench:engine
 * Prints the mean per history for every schedule type; the baseline is a bare loop over the
 * same check-ins, so the ratio shows what the rules cost on top of touching the data.
 */
import { addDays } from "../lib/dates";
import { computeProgress, type HabitHistory } from "../lib/progress";
import type { CheckinFacts, Schedule } from "../lib/habit-rules";

const TODAY = "2026-11-21";
const START = addDays(TODAY, -3652);
const checkins: CheckinFacts[] = [];
for (let i = 0; i <= 3652; i++) {
  if (i % 11 === 5) continue; // a missed day now and then
  checkins.push({ date: addDays(START, i), status: i % 13 === 0 ? "skipped" : "done", value: null });
}

function timePerCall(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  const begin = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - begin) / 1e6 / iterations;
}

const baseline = timePerCall(() => {
  let done = 0;
  for (const checkin of checkins) if (checkin.status === "done") done++;
  return done;
}, 2000);

const schedules: Schedule[] = [
  { type: "daily" },
  { type: "weekdays", days: [1, 2, 3, 4, 5] },
  { type: "every_n_days", n: 3 },
  { type: "times_per_week", times: 4 },
];
console.log(`10 years (${checkins.length} check-ins); baseline loop ${baseline.toFixed(4)} ms`);
for (const schedule of schedules) {
  const history: HabitHistory = { schedule, target: { type: "boolean" }, startDate: START, today: TODAY, checkins };
  const ms = timePerCall(() => computeProgress(history), 300);
  console.log(`${schedule.type.padEnd(15)} ${ms.toFixed(3)} ms per history  (${(ms / baseline).toFixed(0)}× the baseline loop)`);
}

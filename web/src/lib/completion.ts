/**
 * The completion chart's numbers: per ISO week or calendar month, done days over done + missed
 * days (a past `partial` counts as missed, as in the API's stats); a period with neither has
 * no rate (null), which the chart draws as a gap rather than as 0 %.
 */
import { weekStart } from "./dates";
import type { DayStatus } from "../types";

export interface PeriodCompletion {
  start: string;
  done: number;
  missed: number;
  rate: number | null;
}

export function completionBy(
  period: "week" | "month",
  days: readonly { date: string; status: DayStatus }[],
  today: string,
): PeriodCompletion[] {
  const periods = new Map<string, PeriodCompletion>();
  for (const { date, status } of days) {
    const start = period === "week" ? weekStart(date) : `${date.slice(0, 7)}-01`;
    const entry = periods.get(start) ?? { start, done: 0, missed: 0, rate: null };
    if (status === "done") entry.done++;
    else if (status === "missed" || (status === "partial" && date !== today)) entry.missed++;
    periods.set(start, entry);
  }
  return [...periods.values()]
    .sort((a, b) => a.start.localeCompare(b.start))
    .map((entry) => ({ ...entry, rate: entry.done + entry.missed === 0 ? null : entry.done / (entry.done + entry.missed) }));
}

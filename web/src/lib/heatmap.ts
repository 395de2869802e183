/**
 * The year heatmap's layout: one column per ISO week (Monday first), one row per weekday, the
 * days from `from` to `to` in their cells and nothing (null) outside that range.
 */
import { addDays, daysBetween, isoWeekday, weekStart } from "./dates";
import type { DayStatus } from "../types";

export interface HeatCell {
  date: string;
  status: DayStatus;
}

/** rows[weekday − 1][week]: the cell of that day, or null outside from..to. */
export function heatmapRows(from: string, to: string, statuses: ReadonlyMap<string, DayStatus>): (HeatCell | null)[][] {
  const first = weekStart(from);
  const weeks = Math.floor(daysBetween(first, to) / 7) + 1;
  const rows: (HeatCell | null)[][] = Array.from({ length: 7 }, () => Array<HeatCell | null>(weeks).fill(null));
  for (let date = from; daysBetween(date, to) >= 0; date = addDays(date, 1)) {
    const week = Math.floor(daysBetween(first, date) / 7);
    rows[isoWeekday(date) - 1][week] = { date, status: statuses.get(date) ?? "not_due" };
  }
  return rows;
}

/** The date a key press moves to from `date` (columns are weeks), kept within from..to. */
export function moveInHeatmap(date: string, key: string, from: string, to: string): string | null {
  const step: Record<string, number> = { ArrowLeft: -7, ArrowRight: 7, ArrowUp: -1, ArrowDown: 1 };
  let next: string;
  if (key in step) next = addDays(date, step[key]);
  else if (key === "Home") next = from;
  else if (key === "End") next = to;
  else return null;
  if (daysBetween(from, next) < 0) return from;
  if (daysBetween(next, to) < 0) return to;
  return next;
}

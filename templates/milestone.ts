/** A streak reached a milestone (7/30/100/365 days or 4/12/52 weeks). */
import type { LocalDate } from "../lib/dates";
import { greeting, localDateText, notification, shortName, streakText } from "./layout";
import type { RenderedNotification } from "./types";

export interface MilestoneData {
  displayName: string;
  habitName: string;
  milestone: number;
  unit: "days" | "weeks";
  /** The user's local date the milestone was reached on. */
  date: LocalDate;
}

export function render(data: MilestoneData): RenderedNotification {
  const habit = shortName(data.habitName);
  // "7-day streak", "4-week streak": the unit in the singular, as an adjective.
  const title = `${data.milestone}-${data.unit.slice(0, -1)} streak: ${habit}`;
  return notification(title, [
    greeting(data.displayName),
    `You have kept up ${habit} for ${streakText(data.milestone, data.unit)} in a row, as of ${localDateText(data.date)}.`,
    "Well done. Keep going!",
  ]);
}

/** A reminder the user set on a habit, at a local time on a local date. */
import type { LocalDate } from "../lib/dates";
import { greeting, localDateText, notification, shortName, streakText } from "./layout";
import type { RenderedNotification } from "./types";

export interface ReminderData {
  displayName: string;
  habitName: string;
  /** The local date and "HH:MM" the reminder was set for (not when it fired, after a DST gap). */
  date: LocalDate;
  time: string;
  /** The current streak, in `unit`. */
  streak: number;
  unit: "days" | "weeks";
}

export function render(data: ReminderData): RenderedNotification {
  const habit = shortName(data.habitName);
  const streak =
    data.streak > 0
      ? `Your current streak is ${streakText(data.streak, data.unit)}. Check in to keep it going.`
      : "You have no streak running right now. Check in to start one.";
  return notification(`Reminder: ${habit}`, [
    greeting(data.displayName),
    `It's time for ${habit}: your reminder for ${data.time} on ${localDateText(data.date)}.`,
    streak,
  ]);
}

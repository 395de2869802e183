/** The welcome sent once a user has registered. */
import { greeting, notification } from "./layout";
import type { RenderedNotification } from "./types";

export interface WelcomeData {
  displayName: string;
  email: string;
}

export function render(data: WelcomeData): RenderedNotification {
  return notification("Welcome to Habit Tracker", [
    greeting(data.displayName),
    `Your account for ${data.email.trim()} is ready.`,
    "Create a habit, check in on the days it is due, and watch your streak grow. Set reminders on a habit to get a nudge at the local times you choose.",
  ]);
}

/**
 * The shapes of the public API (docs/contract.md §3) the app reads and sends. Schedules, targets
 * and day statuses are the domain's own types (lib/, pure: types only, nothing of it is bundled);
 * the rest mirrors the API's answers as its OpenAPI document describes them (src/api-schemas.ts).
 */
import type { Schedule, Target } from "../../lib/habit-rules";
import type { DayStatus } from "../../lib/progress";

export type { DayStatus, Schedule, Target };

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  timezone: string;
  role: string;
  createdAt: string;
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

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

export interface Checkin {
  habitId: string;
  date: string;
  status: "done" | "skipped";
  value: number | null;
  note: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Streak {
  current: number;
  longest: number;
  unit: "days" | "weeks";
  completedToday: boolean;
  lastCompletedDate: string | null;
  score: number;
}

export interface Stats {
  from: string;
  to: string;
  scheduled: number;
  completed: number;
  skipped: number;
  missed: number;
  completionRate: number;
  days: { date: string; status: DayStatus }[];
}

export interface TodayHabit {
  habit: Habit;
  due: boolean;
  status: DayStatus;
  value: number | null;
  streak: { current: number; longest: number; unit: "days" | "weeks" };
  score: number;
}

export interface Today {
  date: string;
  habits: TodayHabit[];
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationSettings {
  channels: { email: boolean; webhook: boolean };
  types: { welcome: boolean; milestone: boolean; reminder: boolean };
}

export interface Webhook {
  url: string | null;
  secret: string | null;
}

export interface ImportResult {
  habits: number;
  checkins: number;
  warnings: string[];
}

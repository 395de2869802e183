/**
 * The domain events services record in the outbox (`<entity>.<past-tense>`) and their payloads,
 * in one place, so the Kafka bridge publishes them all, consumers name the ones they want, and
 * no service imports another's file to read what it sends. Every published payload also carries
 * the envelope (`eventId`, `userId`, `occurredAt`: mixins/outbox.mixin.ts).
 */
import type { LocalDate } from "../lib/dates";
import type { StreakUnit, StreakView } from "../lib/progress";
import type { User } from "./data/accounts";
import type { Habit } from "./data/habits";
import type { Checkin } from "./data/checkins";
import type { Notification } from "./data/notifications";

export const DOMAIN_EVENTS = [
  "user.registered",
  "user.deleted",
  "habit.created",
  "habit.updated",
  "habit.archived",
  "habit.deleted",
  "checkin.recorded",
  "checkin.removed",
  "streak.milestone",
  "reminder.due",
] as const;
export type DomainEvent = (typeof DOMAIN_EVENTS)[number];

/** The events that make a notification. */
export const NOTIFYING_EVENTS = ["user.registered", "streak.milestone", "reminder.due"] as const satisfies readonly DomainEvent[];

/**
 * Broker events that are not recorded in the outbox (nothing depends on them arriving): for the
 * gateways' sockets and caches.
 */
export const NOTIFICATION_CREATED = "notification.created";
export const SESSION_REVOKED = "session.revoked";

/** `notification.created`, by notifications, for each notification made. */
export interface NotificationCreatedEvent {
  userId: string;
  notification: Notification;
}

/** `session.revoked` (broadcast), by auth: these sessions of the user (null: all) have ended. */
export interface SessionRevokedEvent {
  userId: string;
  sessionIds: string[] | null;
}

/** `user.deleted`, by auth, in the transaction that deletes the account and all its data. */
export interface UserDeletedEvent {
  userId: string;
}

/** What auth asks notifications to e-mail (`notifications.sendPasswordReset`): the link holds the token. */
export interface PasswordResetMail {
  email: string;
  displayName: string;
  link: string;
  validMinutes: number;
}

/** `user.registered`, by auth. */
export interface UserRegisteredEvent {
  user: User;
}

/** `habit.created`, `habit.updated`, `habit.archived`, `habit.deleted`, by habits. */
export interface HabitEvent {
  habit: Habit;
}

/** `checkin.recorded` and `checkin.removed` (checkin null), by tracking, with the new streak. */
export interface CheckinEvent {
  habitId: string;
  date: LocalDate;
  checkin: Checkin | null;
  streak: StreakView;
}

/** `streak.milestone`, by tracking: once per habit, milestone and run. */
export interface MilestoneEvent {
  habitId: string;
  habitName: string;
  milestone: number;
  unit: StreakUnit;
  runStart: LocalDate;
  date: LocalDate;
}

/** `reminder.due`, by reminders. */
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

/**
 * The domain events services record in the outbox (`<entity>.<past-tense>`), in one list so the
 * Kafka bridge publishes them all and consumers name the ones they want. Each payload type sits
 * with the service that records it.
 */
export const DOMAIN_EVENTS = [
  "user.registered",
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

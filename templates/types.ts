/** What a notification template produces, and the notification types there are templates for. */

export interface RenderedNotification {
  /** At most 200 characters: the in-app title and the e-mail's subject. */
  title: string;
  /** Plain text: the in-app body and the e-mail's text part. */
  text: string;
  /** The e-mail's HTML part, a whole document. */
  html: string;
}

export type NotificationType = "welcome" | "milestone" | "reminder" | "password_reset";
/** The types a user can turn off; a password-reset e-mail is sent whenever one is asked for. */
export type OptionalNotificationType = Exclude<NotificationType, "password_reset">;

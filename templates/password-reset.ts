/** The e-mail with a password-reset link (docs/contract.md, "Account management"): e-mail only. */
import { greeting, notification } from "./layout";
import type { RenderedNotification } from "./types";

export interface PasswordResetData {
  displayName: string;
  /** The link with the single-use token. */
  link: string;
  validMinutes: number;
}

export function render(data: PasswordResetData): RenderedNotification {
  return notification("Reset your Habit Tracker password", [
    greeting(data.displayName),
    "Someone, hopefully you, asked to reset the password of your Habit Tracker account. To choose a new one, open this link:",
    data.link,
    `It works once, for ${data.validMinutes} minutes. If you did not ask for it, ignore this e-mail: your password stays as it is.`,
  ]);
}

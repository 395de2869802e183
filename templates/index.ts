/** Each notification type's template; the `satisfies` makes sure no type lacks one. */
import { render as milestone } from "./milestone";
import { render as password_reset } from "./password-reset";
import { render as reminder } from "./reminder";
import type { NotificationType, RenderedNotification } from "./types";
import { render as welcome } from "./welcome";

export const TEMPLATES = { welcome, milestone, reminder, password_reset } satisfies Record<
  NotificationType,
  (data: never) => RenderedNotification
>;

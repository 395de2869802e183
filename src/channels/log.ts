/** The `log` channel: one line per notification in the node's log (no e-mail address, no token). */
import type { Channel } from "./types";

export function logChannel(logger: { info(message: string): void }): Channel {
  return {
    async send(job) {
      logger.info(`Notification ${job.notification.type} ${job.notification.id} for user ${job.user.id}: ${job.notification.title}`);
    },
  };
}

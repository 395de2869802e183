/** The e-mail channel: nodemailer over SMTP_URL, plain text and HTML from the templates. */
import nodemailer from "nodemailer";
import type { Channel } from "./types";

export function emailChannel(smtpUrl: string, from: string, timeoutMs: number): Channel {
  const transport = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as object);
  return {
    async send(job) {
      await transport.sendMail({
        from,
        to: job.target,
        subject: job.notification.title,
        text: job.notification.text,
        html: job.notification.html,
        // Lets mail tooling and receivers drop a duplicate after a retried send.
        messageId: `<${job.notification.id}.${job.channel}@habit-tracker>`,
      });
    },
    async close() {
      transport.close();
    },
  };
}

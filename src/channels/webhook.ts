/**
 * The webhook channel: the notification as a JSON POST to the user's webhookUrl, signed with the
 * user's webhook secret (HMAC-SHA256 over "<timestamp>.<body>", lib/webhook-signature.ts) so the
 * receiver can verify origin and freshness. Any non-2xx answer or timeout is a failure to retry.
 * Unless private targets are allowed, every address that is not public unicast (loopback,
 * private, link-local and cloud metadata, and IPv6 forms embedding such an IPv4 address) is
 * refused at connect time, after DNS resolution, so a user cannot aim the server at its own
 * network.
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { isPublicAddress, namesNonPublicHost } from "../public-address";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from "../../lib/webhook-signature";
import type { Channel, DeliveryJob } from "./types";

/** Addresses a webhook must not reach unless private targets are allowed (src/public-address.ts). */
export function isPrivateAddress(address: string): boolean {
  return !isPublicAddress(address);
}

/** dns.lookup that refuses private addresses: checked on the address actually connected to. */
const publicOnlyLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 0);
    const list = addresses as dns.LookupAddress[];
    const refused = list.find((entry) => isPrivateAddress(entry.address));
    if (refused) {
      return callback(Object.assign(new Error(`webhook target ${hostname} resolves to a private address`), { code: "EPRIVATE" }), "", 0);
    }
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};

export function webhookBody(job: DeliveryJob): string {
  const { notification } = job;
  return JSON.stringify({
    id: notification.id,
    type: notification.type,
    title: notification.title,
    body: notification.text,
    createdAt: notification.createdAt,
    data: notification.data,
  });
}

export function webhookChannel(options: { timeoutMs: number; allowPrivate: boolean; now?: () => Date }): Channel {
  const clock = options.now ?? (() => new Date());
  return {
    send(job) {
      if (!job.user.webhookSecret) return Promise.reject(new Error("the user has no webhook secret"));
      const body = webhookBody(job);
      const timestamp = Math.floor(clock().getTime() / 1000);
      const url = new URL(job.target);
      const client = url.protocol === "https:" ? https : http;
      // A literal IP in the URL skips `lookup`: check it here.
      if (!options.allowPrivate && namesNonPublicHost(job.target)) {
        return Promise.reject(new Error(`webhook target ${url.hostname} is a private address`));
      }
      return new Promise<void>((resolve, reject) => {
        const request = client.request(
          url,
          {
            method: "POST",
            timeout: options.timeoutMs,
            lookup: options.allowPrivate ? undefined : publicOnlyLookup,
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              "user-agent": "habit-tracker-webhook/1",
              [TIMESTAMP_HEADER]: String(timestamp),
              [SIGNATURE_HEADER]: signWebhook(job.user.webhookSecret as string, timestamp, body),
              // The notification's id: receivers drop a repeat after a retried delivery.
              [DELIVERY_HEADER]: job.notification.id,
            },
          },
          (response) => {
            response.resume();
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`webhook answered HTTP ${status}`));
          },
        );
        request.on("timeout", () => request.destroy(new Error(`webhook timed out after ${options.timeoutMs} ms`)));
        request.on("error", reject);
        request.end(body);
      });
    },
  };
}

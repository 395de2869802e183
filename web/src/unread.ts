/** The unread count the navigation shows: fetched at sign-in, after each change, and on new notifications. */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { live } from "./live";

type Listener = () => void;
const stale = new Set<Listener>();

/** Something changed the count here (a notification read). */
export function unreadChanged(): void {
  stale.forEach((listener) => listener());
}

export function useUnreadCount(): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let current = true;
    const load = () =>
      api<{ count: number }>("GET", "/notifications/unread-count").then(
        (reply) => current && setCount(reply.count),
        () => undefined,
      );
    void load();
    stale.add(load);
    const unsubscribe = live.subscribe((message) => {
      if (message.type === "notification.created" || message.type === "resync") void load();
    });
    return () => {
      current = false;
      stale.delete(load);
      unsubscribe();
    };
  }, []);
  return count;
}

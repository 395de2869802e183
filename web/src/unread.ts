/** The unread count the navigation shows: loaded at sign-in, on new notifications, after an outage, and after each read here. */
import { useEffect } from "preact/hooks";
import { api } from "./api";
import { useResource } from "./hooks";

const EVENTS = ["notification.created"] as const;
const stale = new Set<() => Promise<void>>();

/** Something changed the count here (a notification read). */
export function unreadChanged(): void {
  stale.forEach((reload) => void reload());
}

export function useUnreadCount(): number | null {
  const unread = useResource(() => api<{ count: number }>("GET", "/notifications/unread-count"), [], EVENTS);
  useEffect(() => {
    stale.add(unread.reload);
    return () => void stale.delete(unread.reload);
  }, [unread.reload]);
  return unread.data?.count ?? null;
}

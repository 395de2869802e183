/** The inbox: notifications newest first, unread ones marked, each or all marked read, older ones on request. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { useAction, useResource } from "../hooks";
import { unreadChanged } from "../unread";
import { ErrorMessage, Loading } from "../components/messages";
import type { Notification } from "../types";

const PAGE = 30;
const EVENTS = ["notification.created"] as const;

export function InboxPage() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [pages, setPages] = useState(1);
  const inbox = useResource(() => loadInbox(unreadOnly, pages), [unreadOnly, pages], EVENTS);
  const action = useAction(async (id: string | null) => {
    await api("POST", id ? `/notifications/${id}/read` : "/notifications/read-all");
    unreadChanged();
    await inbox.reload();
  });
  const items = inbox.data?.items ?? [];
  const unread = items.filter((item) => !item.readAt).length;
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Inbox
        </h1>
        <button type="button" disabled={action.busy || unread === 0} onClick={() => void action.run(null)}>
          Mark all read
        </button>
      </div>
      <label class="check">
        <input type="checkbox" checked={unreadOnly} onChange={(event) => setUnreadOnly(event.currentTarget.checked)} /> Unread only
      </label>
      <ErrorMessage error={inbox.error ?? action.error} />
      {inbox.loading && !inbox.data && <Loading what="notifications" />}
      {inbox.data && items.length === 0 && <p class="empty">{unreadOnly ? "Nothing unread." : "No notifications yet."}</p>}
      <ul class="inbox-list">
        {items.map((item) => (
          <li key={item.id} class={item.readAt ? "read" : "unread"}>
            <div>
              <h2 class="notification-title">
                {!item.readAt && <span class="visually-hidden">Unread: </span>}
                {item.title}
              </h2>
              <p>{item.body}</p>
              <p class="meta">
                <time dateTime={item.createdAt}>{new Date(item.createdAt).toLocaleString()}</time>
              </p>
            </div>
            {!item.readAt && (
              <button type="button" aria-label={`Mark read: ${item.title}`} disabled={action.busy} onClick={() => void action.run(item.id)}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      {inbox.data?.more && (
        <button type="button" onClick={() => setPages(pages + 1)}>
          Show older
        </button>
      )}
    </section>
  );
}

async function loadInbox(unreadOnly: boolean, pages: number): Promise<{ items: Notification[]; more: boolean }> {
  const items: Notification[] = [];
  let before: string | null = null;
  for (let page = 0; page < pages; page++) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (unreadOnly) query.set("unread", "true");
    if (before) query.set("before", before);
    const batch = await api<Notification[]>("GET", `/notifications?${query}`);
    items.push(...batch);
    if (batch.length < PAGE) return { items, more: false };
    before = batch[batch.length - 1].id;
  }
  return { items, more: true };
}

/**
 * Settings: profile and time zone, webhook (with its signing secret), notification settings,
 * password change, export and import (an export document or a Loop backup), signing out
 * everywhere, and deleting the account.
 */
import { useState } from "preact/hooks";
import { api, download } from "../api";
import { live } from "../live";
import { session } from "../session";
import { useAction, useResource } from "../hooks";
import { attachmentName, isSqlite } from "../lib/import-file";
import { ErrorMessage, Notice } from "../components/messages";
import { Checkboxes, PasswordField } from "../components/fields";
import type { ImportResult, NotificationSettings, User, Webhook } from "../types";

export function SettingsPage({ user }: { user: User }) {
  return (
    <section aria-labelledby="page-title" class="settings">
      <h1 id="page-title" tabIndex={-1}>
        Settings
      </h1>
      <p class="subtitle">Signed in as {user.email}</p>
      <Profile user={user} />
      <WebhookSettings />
      <Notifications />
      <PasswordChange />
      <YourData />
      <Sessions />
      <DeleteAccount />
    </section>
  );
}

const ZONES: string[] = (() => {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return supported.includes("UTC") ? supported : ["UTC", ...supported];
})();

function Profile({ user }: { user: User }) {
  const [displayName, setDisplayName] = useState(user.displayName ?? "");
  const [timezone, setTimezone] = useState(user.timezone);
  const [notice, setNotice] = useState<string | null>(null);
  const save = useAction(async () => {
    const next = await api<User>("PATCH", "/me", { body: { displayName: displayName.trim(), timezone } });
    session.updateUser(next);
    setNotice("Profile saved.");
  });
  return (
    <form
      class="card stack"
      aria-labelledby="profile-title"
      onSubmit={(event) => (event.preventDefault(), setNotice(null), void save.run())}
    >
      <h2 id="profile-title">Profile</h2>
      <label>
        Display name
        <input maxLength={100} value={displayName} onInput={(event) => setDisplayName(event.currentTarget.value)} />
      </label>
      <label>
        Time zone
        <select value={timezone} onChange={(event) => setTimezone(event.currentTarget.value)}>
          {(ZONES.includes(timezone) ? ZONES : [timezone, ...ZONES]).map((zone) => (
            <option key={zone} value={zone}>
              {zone.replace(/_/g, " ")}
            </option>
          ))}
        </select>
      </label>
      <p class="hint">Your days begin and end at midnight here. Changing it never moves past check-ins.</p>
      <ErrorMessage error={save.error} />
      <Notice text={notice} />
      <button type="submit" class="primary" disabled={save.busy}>
        Save profile
      </button>
    </form>
  );
}

function WebhookSettings() {
  const webhook = useResource(() => api<Webhook>("GET", "/me/webhook"), []);
  const [url, setUrl] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const shown = url ?? webhook.data?.url ?? "";
  const save = useAction(async (change: "save" | "remove" | "rotate") => {
    if (change === "rotate") await api<Webhook>("POST", "/me/webhook/rotate-secret");
    else await api<User>("PATCH", "/me", { body: { webhookUrl: change === "remove" || shown.trim() === "" ? null : shown.trim() } });
    if (change === "remove") setUrl("");
    await webhook.reload();
    setNotice(change === "rotate" ? "New secret made: update your receiver." : change === "remove" ? "Webhook removed." : "Webhook saved.");
  });
  return (
    <form
      class="card stack"
      aria-labelledby="webhook-title"
      onSubmit={(event) => (event.preventDefault(), setNotice(null), void save.run("save"))}
    >
      <h2 id="webhook-title">Webhook</h2>
      <p class="hint">Notifications are also posted to this address, signed with the secret below.</p>
      <label>
        Webhook URL
        <input
          type="url"
          maxLength={2048}
          placeholder="https://example.com/hooks/habits"
          value={shown}
          onInput={(event) => setUrl(event.currentTarget.value)}
        />
      </label>
      {webhook.data?.secret && (
        <p class="secret">
          Signing secret: <code>{webhook.data.secret}</code>
        </p>
      )}
      <ErrorMessage error={webhook.error ?? save.error} />
      <Notice text={notice} />
      <div class="row">
        <button type="submit" class="primary" disabled={save.busy}>
          Save webhook
        </button>
        {webhook.data?.url && (
          <>
            <button type="button" disabled={save.busy} onClick={() => void save.run("rotate")}>
              Rotate secret
            </button>
            <button type="button" class="danger" disabled={save.busy} onClick={() => void save.run("remove")}>
              Remove webhook
            </button>
          </>
        )}
      </div>
    </form>
  );
}

const TYPE_LABELS = { welcome: "Welcome", milestone: "Streak milestones", reminder: "Reminders" } as const;
const CHANNEL_LABELS = { email: "E-mail", webhook: "Webhook" } as const;

function Notifications() {
  const settings = useResource(() => api<NotificationSettings>("GET", "/me/notification-settings"), []);
  const [notice, setNotice] = useState<string | null>(null);
  const change = useAction(async (patch: Partial<NotificationSettings>) => {
    await api<NotificationSettings>("PATCH", "/me/notification-settings", { body: patch });
    await settings.reload();
    setNotice("Notification settings saved.");
  });
  const data = settings.data;
  return (
    <div class="card stack" role="group" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      {data && (
        <>
          <Checkboxes
            legend="Send me"
            labels={TYPE_LABELS}
            values={data.types}
            disabled={change.busy}
            onChange={(types) => void change.run({ types })}
          />
          <Checkboxes
            legend="Also by"
            labels={CHANNEL_LABELS}
            values={data.channels}
            disabled={change.busy}
            onChange={(channels) => void change.run({ channels })}
          />
          <p class="hint">The inbox always has the kinds you keep on.</p>
        </>
      )}
      <ErrorMessage error={settings.error ?? change.error} />
      <Notice text={notice} />
    </div>
  );
}

function PasswordChange() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const save = useAction(async () => {
    await api("POST", "/auth/password", { body: { currentPassword: current, newPassword: next } });
    setCurrent("");
    setNext("");
    setNotice("Password changed. Your other devices are signed out.");
  });
  return (
    <form
      class="card stack"
      aria-labelledby="password-title"
      onSubmit={(event) => (event.preventDefault(), setNotice(null), void save.run())}
    >
      <h2 id="password-title">Password</h2>
      <PasswordField label="Current password" value={current} onValue={setCurrent} />
      <PasswordField label="New password" choosing value={next} onValue={setNext} />
      <p class="hint">8 to 128 characters.</p>
      <ErrorMessage error={save.error} />
      <Notice text={notice} />
      <button type="submit" class="primary" disabled={save.busy}>
        Change password
      </button>
    </form>
  );
}

function YourData() {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const exporting = useAction(async () => {
    const reply = await download("/me/export");
    const blob = await reply.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = attachmentName(reply.headers.get("Content-Disposition"), "habit-tracker-export.json");
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });
  const importing = useAction(async () => {
    if (!file) throw new Error("Choose a file to import first.");
    setResult(null);
    const bytes = await file.arrayBuffer();
    if (isSqlite(new Uint8Array(bytes))) setResult(await api<ImportResult>("POST", "/me/import/loop", { bytes }));
    else {
      let document: unknown;
      try {
        document = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new Error("That file is neither an export of this app (JSON) nor a Loop Habit Tracker backup.");
      }
      setResult(await api<ImportResult>("POST", "/me/import", { body: document }));
    }
  });
  return (
    <div class="card stack" role="group" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <p class="hint">Everything you keep here, as one JSON file.</p>
      <ErrorMessage error={exporting.error} />
      <button type="button" disabled={exporting.busy} onClick={() => void exporting.run()}>
        Export my data
      </button>
      <form class="stack" aria-label="Import" onSubmit={(event) => (event.preventDefault(), void importing.run())}>
        <label>
          Import file
          <input
            type="file"
            accept=".json,application/json,.db,application/octet-stream,application/x-sqlite3"
            onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
          />
        </label>
        <p class="hint">
          An export of this app, or a Loop Habit Tracker backup (Settings → Export full backup). Habits are added after yours; nothing is
          stored if any part is wrong.
        </p>
        <ErrorMessage error={importing.error} />
        {result && (
          <div class="message notice" role="status">
            <p>
              Imported {result.habits} {result.habits === 1 ? "habit" : "habits"} and {result.checkins}{" "}
              {result.checkins === 1 ? "check-in" : "check-ins"}.
            </p>
            {result.warnings.length > 0 && (
              <ul>
                {result.warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <button type="submit" disabled={importing.busy || !file}>
          Import
        </button>
      </form>
    </div>
  );
}

function Sessions() {
  const signOut = useAction(() => endingTheSession(() => api("POST", "/auth/logout-all"), "You signed out on every device."));
  return (
    <div class="card stack" role="group" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Devices</h2>
      <ErrorMessage error={signOut.error} />
      <button type="button" disabled={signOut.busy} onClick={() => void signOut.run()}>
        Sign out everywhere
      </button>
    </div>
  );
}

/** A request that ends the session when it succeeds: the live socket is closed first (its 4401 is expected). */
async function endingTheSession(request: () => Promise<unknown>, reason: string): Promise<void> {
  live.stop();
  try {
    await request();
  } catch (error) {
    live.start();
    throw error;
  }
  session.end(reason);
}

function DeleteAccount() {
  const [password, setPassword] = useState("");
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(() =>
    endingTheSession(() => api("DELETE", "/me", { body: { password } }), "Your account and all its data were deleted."),
  );
  return (
    <form
      class="card stack danger-zone"
      aria-labelledby="delete-title"
      onSubmit={(event) => {
        event.preventDefault();
        if (confirming) void remove.run();
        else setConfirming(true);
      }}
    >
      <h2 id="delete-title">Delete account</h2>
      <p class="hint">Deletes your account, habits, check-ins and notifications for good. Export your data first if you want to keep it.</p>
      <PasswordField label="Password to confirm" value={password} onValue={setPassword} />
      <ErrorMessage error={remove.error} />
      {confirming && (
        <p role="alert" class="message error">
          This cannot be undone. Press “Delete my account for good” to go on.
        </p>
      )}
      <div class="row">
        <button type="submit" class="danger" disabled={remove.busy}>
          {confirming ? "Delete my account for good" : "Delete account"}
        </button>
        {confirming && (
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

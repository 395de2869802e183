/**
 * The app's frame: the sign-in page while signed out; signed in, the navigation (with the inbox's
 * unread count), the page of the current path, and a banner while the server cannot be reached.
 * Each navigation moves focus to the new page's heading, so screen readers announce it.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { connection } from "./connection";
import { live } from "./live";
import { session } from "./session";
import { match, useLocation } from "./router";
import { todayIn } from "./lib/dates";
import { useUnreadCount } from "./unread";
import { Link } from "./components/link";
import { ResetPasswordPage, SignInPage } from "./pages/sign-in";
import { TodayPage } from "./pages/today";
import { HabitsPage } from "./pages/habits";
import { HabitFormPage } from "./pages/habit-form";
import { HabitPage } from "./pages/habit-page";
import { InboxPage } from "./pages/inbox";
import { SettingsPage } from "./pages/settings";
import type { Session, User } from "./types";

export function App() {
  const [current, setCurrent] = useState<Session | null>(session.current());
  const [reason, setReason] = useState<string | null>(null);
  const { path, query } = useLocation();
  useEffect(
    () =>
      session.subscribe((next, why) => {
        setCurrent(next);
        if (!next) setReason(why ?? null);
      }),
    [],
  );
  useEffect(() => live.start(), []);
  useEffect(() => {
    document.getElementById("page-title")?.focus({ preventScroll: false });
  }, [path, current === null]);

  if (path === "/reset-password") return <ResetPasswordPage token={query.get("token") ?? ""} />;
  if (!current) return <SignInPage reason={reason} />;
  return <SignedIn user={current.user} path={path} />;
}

function SignedIn({ user, path }: { user: User; path: string }) {
  const online = useOnline();
  const unread = useUnreadCount();
  const today = useToday(user.timezone);
  const page = pageFor(path, user, today);
  // The profile as the server has it now (another device may have changed the time zone).
  useEffect(() => {
    api<User>("GET", "/me").then(
      (fresh) => session.updateUser(fresh),
      () => undefined,
    );
  }, [user.id]);
  useEffect(() => {
    document.title = `${page.title} · Habit tracker`;
  }, [page.title]);
  const signOut = async () => {
    live.stop();
    try {
      await api("POST", "/auth/logout", { body: { refreshToken: session.current()?.refreshToken } });
    } finally {
      session.end("You signed out.");
    }
  };
  const nav = [
    { href: "/", label: "Today" },
    { href: "/habits", label: "Habits" },
    { href: "/settings", label: "Settings" },
  ];
  return (
    <>
      <a href="#main" class="skip-link">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={page.section === item.href ? "page" : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
            <li>
              <Link href="/inbox" aria-current={page.section === "/inbox" ? "page" : undefined}>
                Inbox
                {unread !== null && unread > 0 && (
                  <span class="badge count">
                    {unread}
                    <span class="visually-hidden"> unread</span>
                  </span>
                )}
              </Link>
            </li>
          </ul>
        </nav>
        <button type="button" class="sign-out" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {!online && (
        <div class="offline" role="alert">
          Cannot reach the server. Your last changes may not be saved; the app reconnects by itself.
        </div>
      )}
      <main id="main">{page.view}</main>
    </>
  );
}

function pageFor(path: string, user: User, today: string): { title: string; section: string; view: preact.JSX.Element } {
  let params: Record<string, string> | null;
  if (path === "/" || path === "/today") return { title: "Today", section: "/", view: <TodayPage /> };
  if (path === "/habits") return { title: "Habits", section: "/habits", view: <HabitsPage /> };
  if (path === "/habits/new") return { title: "New habit", section: "/habits", view: <HabitFormPage today={today} /> };
  if ((params = match("/habits/:id/edit", path)))
    return { title: "Edit habit", section: "/habits", view: <HabitFormPage key={params.id} id={params.id} today={today} /> };
  if ((params = match("/habits/:id", path)))
    return { title: "Habit", section: "/habits", view: <HabitPage key={params.id} id={params.id} today={today} /> };
  if (path === "/inbox") return { title: "Inbox", section: "/inbox", view: <InboxPage /> };
  if (path === "/settings") return { title: "Settings", section: "/settings", view: <SettingsPage user={user} /> };
  return { title: "Not found", section: "", view: <NotFound /> };
}

function NotFound() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Page not found
      </h1>
      <p>
        There is nothing at this address. <Link href="/">Go to today</Link>.
      </p>
    </section>
  );
}

function useOnline(): boolean {
  const [online, setOnline] = useState(connection.isOnline());
  useEffect(() => connection.subscribe(setOnline), []);
  return online;
}

/** Today in the person's zone, moving on at midnight there. */
function useToday(zone: string): string {
  const [today, setToday] = useState(() => todayIn(zone, new Date()));
  useEffect(() => {
    setToday(todayIn(zone, new Date()));
    const timer = window.setInterval(() => setToday(todayIn(zone, new Date())), 30_000);
    return () => window.clearInterval(timer);
  }, [zone]);
  return today;
}

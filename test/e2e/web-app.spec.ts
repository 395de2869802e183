/**
 * The web app in headless Chromium against the real server (in the current mode), driven by
 * what a person sees: roles and labels, never CSS classes.
 *
 * 1. End to end: an account made on the sign-in page, a daily and a numeric habit made with the
 *    form, a check-in and its undo on Today, a week backfilled on the habit's page (form and
 *    heatmap) with its heatmap cells and streak, the 7-day milestone in the inbox, the time zone
 *    changed in Settings, the export downloaded and imported into a second account, and that
 *    account deleted.
 * 2. Live updates: a second browser signed in as the same person sees a check-in and its undo
 *    on Today without a reload, within 2 s of the first one's response.
 * 3. Every page at 360×740: no sideways scroll, every control reached with Tab from the top, no
 *    serious or critical axe-core violation; screenshots at 360 and 1280 wide as a by-product
 *    (test-results/screenshots).
 * 4. An outage: with the server stopped an action fails in words and a banner says the server
 *    cannot be reached; once it is back the banner goes, the page reloads its data, and the
 *    same action succeeds, all without a reload.
 * Throughout, no page error, console error or CSP violation (but the outage's network errors).
 */
import fs from "node:fs";
import path from "node:path";
import axe from "axe-core";
import type { Browser, BrowserContext, Page, Response, WebSocket } from "playwright-core";
import { startNode, type HabitNode } from "../../src/node";
import { launchChromium, watchProblems, type PageProblems } from "../helpers/browser";
import { MODE, suiteEnv, type SuiteEnv } from "../helpers/env";
import { Api } from "../helpers/http";
import { nodeSuite } from "../helpers/node-suite";
import { freePort } from "../helpers/processes";

jest.setTimeout(120_000);

const SESSION_KEY = "habit-tracker.session";
const PASSWORD = "correct horse battery";
const SCREENSHOTS = path.join(__dirname, "../../test-results/screenshots");
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

const suite = nodeSuite();
const originOf = (port: number | null) => `http://127.0.0.1:${port}`;

let browser: Browser;
const contexts: BrowserContext[] = [];
let emails = 0;
const newEmail = (what: string) => `${what}-${Date.now()}-${emails++}@example.com`;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
});

interface Tab {
  page: Page;
  problems: PageProblems;
}

/** A fresh browser (its own storage), in UTC like the node's default zone. */
async function openTab(viewport = DESKTOP): Promise<Tab> {
  const context = await browser.newContext({ viewport, timezoneId: "UTC", locale: "en-GB" });
  contexts.push(context);
  const page = await context.newPage();
  const problems = await watchProblems(page);
  return { page, problems };
}

/**
 * The little of the DOM that the functions run in the page use (they run in Chromium, but are
 * type-checked with the project's Node types, which have no DOM library).
 */
interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly textContent: string | null;
  readonly disabled?: boolean;
  getAttribute(name: string): string | null;
  closest(selector: string): PageElement | null;
  checkVisibility(options?: { visibilityProperty?: boolean }): boolean;
}
interface PageWindow {
  document: {
    activeElement: PageElement | null;
    documentElement: { scrollWidth: number };
    querySelectorAll(selector: string): Iterable<PageElement>;
  };
  innerWidth: number;
  scrollTo(x: number, y: number): void;
  localStorage: { getItem(key: string): string | null };
  /** Set by the test, to tell a reload (which would lose it) from none. */
  sameDocument?: boolean;
  tabTargets?: PageElement[];
  tabReached?: number[];
  axe?: typeof axe;
}

/** Marks the page's document, so `stillSameDocument` can tell it was never reloaded. */
const markDocument = (page: Page) => page.evaluate(() => void ((globalThis as unknown as PageWindow).sameDocument = true));
const stillSameDocument = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).sameDocument === true);

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });
const button = (page: Page, name: string, pressed?: boolean) => page.getByRole("button", { name, exact: true, pressed });
const link = (page: Page, name: string) => page.getByRole("link", { name, exact: true });
const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
/** A select by its name (its label's text holds the chosen option's too, so getByLabel's exact match misses it). */
const select = (page: Page, name: string) => page.getByRole("combobox", { name, exact: true });

/** The page's h1 is `name` and has the focus (each navigation moves it there). */
async function onPage(page: Page, name: string): Promise<void> {
  await heading(page, name).waitFor();
  await page.waitForFunction(() => (globalThis as unknown as PageWindow).document.activeElement?.id === "page-title");
}

async function navigateTo(page: Page, navLink: string, title = navLink): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: navLink, exact: true }).click();
  await onPage(page, title);
}

/** The next `{"type":"ready"}` on one of the page's realtime sockets: it hears the user's events from then on. */
function liveReady(page: Page): Promise<void> {
  return new Promise((resolve) => {
    const onSocket = (socket: WebSocket) =>
      socket.on("framereceived", (frame) => {
        if (/"type"\s*:\s*"ready"/.test(String(frame.payload))) {
          page.off("websocket", onSocket);
          resolve();
        }
      });
    page.on("websocket", onSocket);
  });
}

/** Signs in (or, `create`, registers) on the sign-in page; resolves on Today with the live feed ready. */
async function signIn(page: Page, origin: string, email: string, create = false): Promise<void> {
  const ready = liveReady(page);
  if (!page.url().startsWith(origin)) await page.goto(`${origin}/`);
  await heading(page, "Habit tracker").waitFor();
  await field(page, "Email").fill(email);
  await field(page, "Password").fill(PASSWORD);
  await button(page, create ? "Create account" : "Sign in").click();
  await onPage(page, "Today");
  await ready;
}

async function accessTokenOf(page: Page): Promise<string> {
  const stored = await page.evaluate((key) => (globalThis as unknown as PageWindow).localStorage.getItem(key), SESSION_KEY);
  return (JSON.parse(stored ?? "null") as { accessToken: string }).accessToken;
}

/** The PUT or DELETE of a check-in. */
const checkinWrite = (method: "PUT" | "DELETE", date?: string) => (response: Response) =>
  response.request().method() === method &&
  /\/api\/v1\/habits\/[^/]+\/checkins\/\d{4}-\d{2}-\d{2}$/.test(response.url()) &&
  (date === undefined || response.url().endsWith(`/checkins/${date}`));

/** Today's row of a habit (the list item holding its link). */
const todayRow = (page: Page, name: string) => page.getByRole("listitem").filter({ has: link(page, name) });

/** Through the form (`fill` sets all but the name); saving opens the new habit's page. */
async function createHabit(page: Page, fill: () => Promise<void>, name: string): Promise<void> {
  await navigateTo(page, "Habits");
  await link(page, "New habit").click();
  await onPage(page, "New habit");
  await field(page, "Name").fill(name);
  await fill();
  await button(page, "Create habit").click();
  await onPage(page, name);
  expect(new URL(page.url()).pathname).toMatch(/^\/habits\/[0-9a-f-]{36}$/);
}

describe(`the web app, end to end (${MODE} mode)`, () => {
  it("an account, habits, check-ins and their undo, a backfilled week, the milestone, settings, export, import and deletion", async () => {
    const { page, problems } = await openTab();
    const origin = originOf(suite.node.port);
    const email = newEmail("ann");
    await signIn(page, origin, email, true);
    const token = await accessTokenOf(page);
    const today = (await suite.api.get("/today", token)).body.date as string;

    // Two habits through the form: a daily one begun 8 days ago (to backfill its week), a numeric one.
    await createHabit(
      page,
      async () => {
        await field(page, "Description").fill("Ten pages");
        await select(page, "Repeats").selectOption("daily");
        await field(page, "Start date").fill(addDays(today, -8));
      },
      "Read",
    );
    await createHabit(
      page,
      async () => {
        await select(page, "Kind").selectOption("at_least");
        await field(page, "Target value").fill("8");
        await field(page, "Unit").fill("glasses");
      },
      "Water",
    );
    // Edited from the list: the form opens filled in (its heading focused once the habit is loaded).
    await navigateTo(page, "Habits");
    await link(page, "Edit: Water").click();
    await onPage(page, "Edit Water");
    expect(await field(page, "Target value").inputValue()).toBe("8");
    await field(page, "Description").fill("Eight a day");
    await button(page, "Save changes").click();
    await onPage(page, "Water");
    await page.getByText("Eight a day", { exact: true }).waitFor();
    const habits = (await suite.api.get("/habits", token)).body as { name: string; startDate: string; target: unknown }[];
    expect(habits.map((habit) => [habit.name, habit.startDate])).toEqual([
      ["Read", addDays(today, -8)],
      ["Water", today],
    ]);
    expect(habits[1].target).toEqual({ type: "at_least", value: 8, unit: "glasses" });

    // Today: Done and its undo flip aria-pressed and the streak (0 → 1 → 0).
    await navigateTo(page, "Today");
    const read = todayRow(page, "Read");
    await read.getByText("Streak: 0 days", { exact: true }).waitFor();
    expect(await button(page, "Done: Read").getAttribute("aria-pressed")).toBe("false");
    const done = page.waitForResponse(checkinWrite("PUT", today));
    await button(page, "Done: Read").click();
    expect((await done).status()).toBe(201);
    await button(page, "Done: Read", true).waitFor();
    await read.getByText("Streak: 1 day", { exact: true }).waitFor();
    const undone = page.waitForResponse(checkinWrite("DELETE", today));
    await button(page, "Done: Read").click();
    expect((await undone).status()).toBe(204);
    await button(page, "Done: Read", false).waitFor();
    await read.getByText("Streak: 0 days", { exact: true }).waitFor();

    // The numeric habit: Done without a value says so in words; with 8 it is done.
    const water = todayRow(page, "Water");
    await button(page, "Done: Water").click();
    await water.getByRole("alert").filter({ hasText: "Enter how much for Water first." }).waitFor();
    await field(page, "Water value").fill("8");
    await button(page, "Done: Water").click();
    await button(page, "Done: Water", true).waitFor();
    await water.getByText("Streak: 1 day", { exact: true }).waitFor();
    expect(await water.getByRole("alert").count()).toBe(0);

    // The habit's page: five past days typed into the check-in form, one picked on the heatmap with
    // a click, the last (yesterday) with the keyboard.
    await link(page, "Read").click();
    await onPage(page, "Read");
    const week = [7, 6, 5, 4, 3, 2, 1].map((back) => addDays(today, -back));
    const form = page.getByRole("form", { name: "Check-in" });
    const dateField = form.getByLabel("Date", { exact: true });
    const cell = (date: string, status: string) => page.getByRole("gridcell", { name: `${date}: ${status}`, exact: true });
    const saveCheckin = async (date: string) => {
      const saved = page.waitForResponse(checkinWrite("PUT", date));
      await form.getByRole("button", { name: "Save check-in" }).click();
      expect((await saved).status()).toBe(201);
      await cell(date, "done").waitFor();
    };
    for (const date of week.slice(0, 5)) {
      await dateField.fill(date);
      await saveCheckin(date);
    }
    await cell(week[5], "missed").click();
    expect(await dateField.inputValue()).toBe(week[5]);
    await saveCheckin(week[5]);
    // The grid's one tab stop is the day last picked; a day later is the next one down its column.
    const picked = cell(week[5], "done");
    expect(await picked.getAttribute("tabindex")).toBe("0");
    await picked.focus();
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(
      (name) => (globalThis as unknown as PageWindow).document.activeElement?.getAttribute("aria-label") === name,
      `${week[6]}: missed`,
    );
    await page.keyboard.press("Enter");
    expect(await dateField.inputValue()).toBe(week[6]);
    await saveCheckin(week[6]);
    for (const date of week) await cell(date, "done").waitFor();
    await cell(addDays(today, -8), "missed").waitFor();
    await cell(today, "pending").waitFor();
    await page
      .getByTestId("current-streak")
      .filter({ hasText: /^7 days$/ })
      .waitFor();
    for (const date of week) await button(page, `Delete check-in ${date}`).waitFor();

    // Checked in today too (on Today): 8 days.
    await navigateTo(page, "Today");
    await button(page, "Done: Read").click();
    await button(page, "Done: Read", true).waitFor();
    await read.getByText("Streak: 8 days", { exact: true }).waitFor();

    // The 7-day milestone: counted in the Inbox link's name (the welcome and it), listed in the inbox.
    await link(page, "Inbox 2 unread").waitFor();
    await navigateTo(page, "Inbox 2 unread", "Inbox");
    const milestone = page.getByRole("heading", { level: 2, name: /7-day streak: Read/ });
    await milestone.waitFor();
    const markRead = page.getByRole("button", { name: /^Mark read: 7-day streak: Read/ });
    await markRead.click();
    await markRead.waitFor({ state: "detached" });
    await link(page, "Inbox 1 unread").waitFor();

    // Settings: the time zone, stored on the account.
    await navigateTo(page, "Settings");
    await select(page, "Time zone").selectOption("Asia/Tokyo");
    await button(page, "Save profile").click();
    await page.getByRole("status").filter({ hasText: "Profile saved." }).waitFor();
    expect((await suite.api.get("/me", await accessTokenOf(page))).body).toMatchObject({ email, timezone: "Asia/Tokyo" });

    // Export: a download of the export document with both habits and their check-ins.
    const [download] = await Promise.all([page.waitForEvent("download"), button(page, "Export my data").click()]);
    expect(download.suggestedFilename()).toMatch(/^habit-tracker-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = await download.path();
    const bytes = fs.readFileSync(exported);
    const exportDocument = JSON.parse(bytes.toString("utf8")) as {
      format: string;
      user: { email: string };
      habits: { name: string; checkins: { date: string }[] }[];
    };
    expect(exportDocument.format).toBe("habit-tracker-export");
    expect(exportDocument.user.email).toBe(email);
    expect(exportDocument.habits.map((habit) => habit.name)).toEqual(["Read", "Water"]);
    expect(exportDocument.habits[0].checkins.map((checkin) => checkin.date)).toEqual([...week, today]);
    expect(exportDocument.habits[1].checkins.map((checkin) => checkin.date)).toEqual([today]);

    // Import it into a second, fresh account, through the Settings page.
    await button(page, "Sign out").click();
    await heading(page, "Habit tracker").waitFor();
    const second = newEmail("ben");
    await signIn(page, origin, second, true);
    await navigateTo(page, "Settings");
    await field(page, "Import file").setInputFiles({ name: download.suggestedFilename(), mimeType: "application/json", buffer: bytes });
    await button(page, "Import").click();
    const checkins = exportDocument.habits.reduce((sum, habit) => sum + habit.checkins.length, 0);
    await page
      .getByRole("status")
      .filter({ hasText: `Imported 2 habits and ${checkins} check-ins.` })
      .waitFor();
    await navigateTo(page, "Habits");
    await link(page, "Read").waitFor();
    await link(page, "Water").waitFor();
    await navigateTo(page, "Today");
    await todayRow(page, "Read").getByText("Streak: 8 days", { exact: true }).waitFor();

    // Delete that account: two presses, then the sign-in page; its password no longer signs in.
    await navigateTo(page, "Settings");
    await field(page, "Password to confirm").fill(PASSWORD);
    await button(page, "Delete account").click();
    const deleted = page.waitForResponse((response) => response.request().method() === "DELETE" && response.url().endsWith("/api/v1/me"));
    await button(page, "Delete my account for good").click();
    expect((await deleted).status()).toBe(204);
    await heading(page, "Habit tracker").waitFor();
    await page.getByRole("status").filter({ hasText: "Your account and all its data were deleted." }).waitFor();
    expect(await page.evaluate((key) => (globalThis as unknown as PageWindow).localStorage.getItem(key), SESSION_KEY)).toBeNull();
    expect((await suite.api.post("/auth/login", { email: second, password: PASSWORD })).status).toBe(401);
    expect((await suite.api.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);

    expect(problems.list).toEqual([]);
  });
});

describe(`the web app, live in two browsers (${MODE} mode)`, () => {
  it("a check-in in one shows in the other on Today within 2 s, and so does its undo, without a reload", async () => {
    const origin = originOf(suite.node.port);
    const email = newEmail("cal");
    const registered = await suite.api.post("/auth/register", { email, password: PASSWORD, timezone: "UTC" });
    expect(registered.status).toBe(201);
    expect((await suite.api.post("/habits", { name: "Stretch" }, registered.body.accessToken)).status).toBe(201);

    const first = await openTab();
    const second = await openTab();
    await signIn(first.page, origin, email);
    await signIn(second.page, origin, email);
    await button(second.page, "Done: Stretch", false).waitFor();
    await markDocument(second.page);

    const seenWithin = async (method: "PUT" | "DELETE", pressed: boolean) => {
      const written = first.page.waitForResponse(checkinWrite(method));
      await button(first.page, "Done: Stretch").click();
      expect((await written).ok()).toBe(true);
      const answered = Date.now();
      await button(second.page, "Done: Stretch", pressed).waitFor({ timeout: 5_000 });
      return Date.now() - answered;
    };
    const recorded = await seenWithin("PUT", true);
    await todayRow(second.page, "Stretch").getByText("Streak: 1 day", { exact: true }).waitFor();
    const removed = await seenWithin("DELETE", false);
    await todayRow(second.page, "Stretch").getByText("Streak: 0 days", { exact: true }).waitFor();
    process.stdout.write(`live updates in a second browser: check-in seen after ${recorded} ms, undo after ${removed} ms\n`);
    expect(recorded).toBeLessThan(2_000);
    expect(removed).toBeLessThan(2_000);
    expect(await stillSameDocument(second.page)).toBe(true);

    expect(first.problems.list).toEqual([]);
    expect(second.problems.list).toEqual([]);
  });
});

/** Controls a person can reach: what the Tab key must stop on (the heatmap's one cell of tabindex 0 among them). */
const INTERACTIVE = 'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex="0"]';

interface TabWalk {
  stops: number;
  presses: number;
  /** The controls in the order Tab first reached them, as indexes in document order. */
  order: number[];
  missed: string[];
}

/**
 * Presses Tab from the top of the page until every visible, enabled control has had the focus,
 * or `maxPresses` ran out; the controls never reached are described.
 */
async function tabThrough(page: Page, maxPresses: number): Promise<TabWalk> {
  const stops = await page.evaluate((selector) => {
    const window = globalThis as unknown as PageWindow;
    window.tabTargets = [...window.document.querySelectorAll(selector)].filter(
      (element) => !element.disabled && element.checkVisibility({ visibilityProperty: true }) && !element.closest("[inert]"),
    );
    window.tabReached = [];
    window.scrollTo(0, 0);
    return window.tabTargets.length;
  }, INTERACTIVE);
  // A click on the page's top corner (the app's margin, nothing there to activate) drops the focus and
  // starts the Tab sequence from the top: after blur() alone, Chromium would go on from the blurred heading.
  await page.mouse.click(1, 1);
  expect(await page.evaluate(() => (globalThis as unknown as PageWindow).document.activeElement?.tagName)).toBe("BODY");
  let presses = 0;
  let reached = 0;
  while (presses < maxPresses && reached < stops) {
    await page.keyboard.press("Tab");
    presses++;
    reached = await page.evaluate(() => {
      const window = globalThis as unknown as PageWindow;
      const [targets, seen] = [window.tabTargets ?? [], window.tabReached ?? []];
      const index = window.document.activeElement ? targets.indexOf(window.document.activeElement) : -1;
      if (index >= 0 && !seen.includes(index)) seen.push(index);
      return seen.length;
    });
  }
  const missed = await page.evaluate(() => {
    const window = globalThis as unknown as PageWindow;
    return (window.tabTargets ?? [])
      .filter((_, index) => !window.tabReached?.includes(index))
      .map((element) => {
        const name = element.getAttribute("aria-label") ?? element.closest("label")?.textContent ?? element.textContent ?? "";
        return `${element.tagName.toLowerCase()} ${name.trim().replace(/\s+/g, " ").slice(0, 60)}`;
      });
  });
  const order = await page.evaluate(() => (globalThis as unknown as PageWindow).tabReached ?? []);
  return { stops, presses, order, missed };
}

interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's violations on the page: its source is evaluated (the page's CSP allows no injected script tag). */
async function axeViolations(page: Page): Promise<{ violations: AxeFinding[]; passes: number }> {
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const results = await ((globalThis as unknown as PageWindow).axe as typeof axe).run({ exclude: [] }, { resultTypes: ["violations"] });
    return {
      passes: results.passes.length,
      violations: results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? null,
        help: violation.help,
        nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
      })),
    };
  });
}

const noSidewaysScroll = (page: Page) =>
  page.evaluate(() => {
    const window = globalThis as unknown as PageWindow;
    return { scrollWidth: window.document.documentElement.scrollWidth, innerWidth: window.innerWidth };
  });

describe(`the web app on a phone, by keyboard and for assistive technology (${MODE} mode)`, () => {
  it("every page at 360×740: no sideways scroll, every control reached with Tab, no serious or critical axe violation", async () => {
    const origin = originOf(suite.node.port);
    const email = newEmail("dee");
    const registered = await suite.api.post("/auth/register", { email, password: PASSWORD, timezone: "UTC" });
    expect(registered.status).toBe(201);
    const token = registered.body.accessToken as string;
    const today = (await suite.api.get("/today", token)).body.date as string;
    const walk = await suite.api.post(
      "/habits",
      { name: "Walk in the park before breakfast", description: "Twenty minutes, whatever the weather.", startDate: addDays(today, -40) },
      token,
    );
    expect(walk.status).toBe(201);
    const water = await suite.api.post(
      "/habits",
      {
        name: "Water",
        color: "#1a5fb4",
        target: { type: "at_least", value: 8, unit: "glasses" },
        reminders: ["09:00", "15:00"],
        schedule: { type: "weekdays", days: [1, 2, 3, 4, 5] },
      },
      token,
    );
    expect(water.status).toBe(201);
    // Today both a done and a skipped habit (their pressed buttons have colours of their own).
    for (const back of [0, 1, 2, 3, 5, 8, 13]) {
      const reply = await suite.api.request("PUT", `/habits/${walk.body.id}/checkins/${addDays(today, -back)}`, {
        body: { status: back === 5 ? "skipped" : "done", note: back === 1 ? "Saw a heron." : undefined },
        token,
      });
      expect(reply.status).toBe(201);
    }
    expect(
      (await suite.api.request("PUT", `/habits/${water.body.id}/checkins/${today}`, { body: { status: "skipped" }, token })).status,
    ).toBe(201);

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const { page, problems } = await openTab(PHONE);
    const pages: { name: string; open: () => Promise<void> }[] = [
      {
        name: "sign-in",
        open: async () => {
          await page.goto(`${origin}/`);
          await button(page, "Sign in").waitFor();
        },
      },
      {
        name: "today",
        open: async () => {
          await signIn(page, origin, email);
          await button(page, "Done: Walk in the park before breakfast", true).waitFor();
          await button(page, "Skip: Water", true).waitFor();
        },
      },
      {
        name: "habits",
        open: async () => {
          await navigateTo(page, "Habits");
          await link(page, "Edit: Water").waitFor();
        },
      },
      {
        name: "habit-form",
        open: async () => {
          await link(page, "New habit").click();
          await onPage(page, "New habit");
          // Every kind of field shown: weekday boxes, a numeric target, a reminder, a colour.
          await select(page, "Repeats").selectOption("weekdays");
          await select(page, "Kind").selectOption("at_most");
          await button(page, "Add reminder").click();
          await field(page, "Use a colour").check();
          await field(page, "Sunday").waitFor();
          await field(page, "Unit").waitFor();
          await field(page, "Reminder 1").waitFor();
          await field(page, "Colour").waitFor();
        },
      },
      {
        name: "habit",
        open: async () => {
          await page.goto(`${origin}/habits/${walk.body.id}`);
          await onPage(page, "Walk in the park before breakfast");
          await page.getByRole("grid", { name: "Year heatmap of Walk in the park before breakfast" }).waitFor();
          await button(page, `Edit check-in ${addDays(today, -1)}`).waitFor();
        },
      },
      {
        name: "inbox",
        open: async () => {
          await navigateTo(page, "Inbox 1 unread", "Inbox");
          await page
            .getByRole("button", { name: /^Mark read: / })
            .first()
            .waitFor();
        },
      },
      {
        name: "settings",
        open: async () => {
          await navigateTo(page, "Settings");
          await field(page, "Streak milestones").waitFor();
        },
      },
    ];

    const summary: string[] = [];
    let totalStops = 0;
    for (const { name, open } of pages) {
      await open();
      expect({ name, ...(await noSidewaysScroll(page)) }).toEqual({ name, scrollWidth: PHONE.width, innerWidth: PHONE.width });
      const tabs = await tabThrough(page, 200);
      expect({ name, missed: tabs.missed }).toEqual({ name, missed: [] });
      // From the top, in document order (no positive tabindex, nothing moved out of place).
      expect({ name, order: tabs.order }).toEqual({ name, order: [...tabs.order].sort((a, b) => a - b) });
      expect({ name, first: tabs.order[0] }).toEqual({ name, first: 0 });
      totalStops += tabs.stops;
      const { violations, passes } = await axeViolations(page);
      expect({
        name,
        violations: violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical"),
      }).toEqual({
        name,
        violations: [],
      });
      summary.push(
        `${name}: ${tabs.stops} tab stops in ${tabs.presses} presses, axe ${passes} rules passed, ${violations.length} minor or moderate violations`,
      );
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${PHONE.width}.png`), fullPage: true });
      await page.setViewportSize(DESKTOP);
      expect({ name, ...(await noSidewaysScroll(page)) }).toEqual({ name, scrollWidth: DESKTOP.width, innerWidth: DESKTOP.width });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${DESKTOP.width}.png`), fullPage: true });
      await page.setViewportSize(PHONE);
    }
    process.stdout.write(
      `web app at ${PHONE.width}×${PHONE.height}: ${pages.length} pages without sideways scroll, all ${totalStops} controls reached by Tab, ` +
        `no serious or critical axe-core violation\n  ${summary.join("\n  ")}\n`,
    );
    expect(problems.list).toEqual([]);
  });
});

describe(`the web app through an outage (${MODE} mode)`, () => {
  let env: SuiteEnv;
  let node: HabitNode | null = null;
  let api: Api;

  beforeAll(async () => {
    // A fixed port, and the same data (DATA_DIR, or the same database, Redis and JWT secret) when it starts again.
    env = await suiteEnv({ PORT: String(await freePort()) });
    node = await startNode(env.env);
    api = new Api(`${originOf(node.port)}/api/v1`);
  });

  afterAll(async () => {
    await node?.stop();
    await env?.cleanup();
  });

  it("with the server down an action fails in words and a banner shows; when it is back the app recovers by itself", async () => {
    const origin = originOf((node as HabitNode).port);
    const email = newEmail("eve");
    const registered = await api.post("/auth/register", { email, password: PASSWORD, timezone: "UTC" });
    expect(registered.status).toBe(201);
    const token = registered.body.accessToken as string;
    const habit = await api.post("/habits", { name: "Meditate" }, token);
    expect(habit.status).toBe(201);

    const { page, problems } = await openTab();
    await signIn(page, origin, email);
    await button(page, "Done: Meditate", false).waitFor();
    await markDocument(page);

    // Down: only the network errors of a server that is not there are expected.
    problems.excuse((problem) =>
      /Failed to load resource: (net::ERR_CONNECTION_REFUSED|net::ERR_EMPTY_RESPONSE|net::ERR_CONNECTION_RESET|the server responded with a status of 503)|WebSocket connection to .* failed/.test(
        problem,
      ),
    );
    await (node as HabitNode).stop();
    node = null;
    await button(page, "Done: Meditate").click();
    const banner = page.getByRole("alert").filter({ hasText: /^Cannot reach the server\. Your last changes may not be saved/ });
    await banner.waitFor();
    const rowError = todayRow(page, "Meditate").getByRole("alert");
    await rowError.filter({ hasText: /^Cannot reach the server/ }).waitFor();
    expect(await button(page, "Done: Meditate").getAttribute("aria-pressed")).toBe("false");

    // Back on the same port: the banner goes (the app polls /health/ready), the page reloads, the socket reconnects.
    const reloaded = page.waitForResponse((response) => response.url() === `${origin}/api/v1/today` && response.ok());
    const live = liveReady(page);
    node = await startNode(env.env);
    expect(node.port).toBe(Number(env.env.PORT));
    await banner.waitFor({ state: "detached", timeout: 15_000 });
    await reloaded;
    await live;
    problems.excuse(null);

    const written = page.waitForResponse(checkinWrite("PUT"));
    await button(page, "Done: Meditate").click();
    expect((await written).status()).toBe(201);
    await button(page, "Done: Meditate", true).waitFor();
    expect(await rowError.count()).toBe(0);
    const streak = await api.get(`/habits/${habit.body.id}/streak`, token);
    expect(streak.body).toMatchObject({ current: 1, completedToday: true });
    expect(await stillSameDocument(page)).toBe(true);
    expect(api.statuses.filter((status) => status >= 500)).toEqual([]);
    expect(problems.list).toEqual([]);
    // The watch saw the outage's errors (so it would have seen others).
    expect(problems.excused.length).toBeGreaterThan(0);
  });
});

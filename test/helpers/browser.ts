/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core,
 * and a watch on a page for what must not happen in it (uncaught errors, console errors, CSP
 * violations).
 */
import fs from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

// As root, in a sandbox with no network: no sandbox, no GPU, and none of Chromium's own traffic.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless=new",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A CSP violation is an event on the document (also when the console says nothing): reported as a console error. */
const REPORT_CSP_VIOLATIONS =
  'document.addEventListener("securitypolicyviolation", (event) => console.error(`CSP ${event.violatedDirective} ${event.blockedURI}`));';

export interface PageProblems {
  /** Every page error, console error and CSP violation so far, except those `excused` when they happened. */
  readonly list: string[];
  /** The problems that were excused. */
  readonly excused: string[];
  /** While set, problems it returns true for are not recorded (the expected ones of an outage). */
  excuse(excused: ((problem: string) => boolean) | null): void;
}

/** Starts recording `page`'s problems; call before its first navigation (the CSP listener is an init script). */
export async function watchProblems(page: Page): Promise<PageProblems> {
  const list: string[] = [];
  const excusedList: string[] = [];
  let excused: ((problem: string) => boolean) | null = null;
  const record = (problem: string) => (excused?.(problem) ? excusedList : list).push(problem);
  page.on("pageerror", (error) => record(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") record(`console: ${message.text()}`);
  });
  await page.addInitScript(REPORT_CSP_VIOLATIONS);
  return {
    list,
    excused: excusedList,
    excuse(next) {
      excused = next;
    },
  };
}

/**
 * What every notification template shares: escaping, the e-mail HTML document, greetings and
 * the shortening of user-given names. Pure: no clock, no locale of the machine.
 */
import { isoWeekday, type LocalDate } from "../lib/dates";
import type { RenderedNotification } from "./types";

export const MAX_TITLE_LENGTH = 200;
/** Habit and display names are at most 100 characters when stored; older or odder rows are cut. */
const MAX_NAME_LENGTH = 100;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/**
 * `text` cut to at most `max` characters (code points, so no emoji is split in half), ending in
 * "…" when cut.
 */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** A habit name as shown in titles and bodies: trimmed, cut to a sensible length. */
export function shortName(name: string): string {
  return truncate(name.trim(), MAX_NAME_LENGTH);
}

/** "Hi Ann," or, with no display name, a generic "Hi there,". */
export function greeting(displayName: string): string {
  const name = displayName.trim();
  return name === "" ? "Hi there," : `Hi ${truncate(name, MAX_NAME_LENGTH)},`;
}

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** A user's local date with its weekday, "Saturday, 2026-11-21": unambiguous in every locale. */
export function localDateText(date: LocalDate): string {
  const weekday = WEEKDAYS[isoWeekday(date) - 1];
  return weekday === undefined ? date : `${weekday}, ${date}`;
}

/** "1 day", "7 days", "1 week", "4 weeks". */
export function streakText(count: number, unit: "days" | "weeks"): string {
  return `${count} ${count === 1 ? unit.slice(0, -1) : unit}`;
}

/** A minimal HTML e-mail: the title as heading, then one paragraph each; every value escaped. */
export function emailHtml(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((paragraph) => `<p style="margin:0 0 16px">${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    "</head>",
    '<body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#222">',
    `<h1 style="margin:0 0 16px;font-size:20px">${escapeHtml(title)}</h1>`,
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** The three parts from a title and paragraphs: text is the paragraphs, a blank line apart. */
export function notification(title: string, paragraphs: string[]): RenderedNotification {
  const shortTitle = truncate(title, MAX_TITLE_LENGTH);
  return { title: shortTitle, text: paragraphs.join("\n\n"), html: emailHtml(shortTitle, paragraphs) };
}

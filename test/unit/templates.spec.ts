/**
 * Notification templates: each fills in the habit name, streak and local date; the HTML part
 * escapes what users typed while the plain text keeps it verbatim; an empty display name gets
 * a generic greeting; titles stay within 200 characters.
 */
import { TEMPLATES } from "../../templates";
import { emailHtml, escapeHtml, truncate } from "../../templates/layout";
import type { NotificationType, RenderedNotification } from "../../templates/types";

const EVIL = `<script>alert("x")</script> & 'more'`;

/** The HTML document minus its markup, entities decoded: what a mail client shows. */
function shown(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

function expectWellFormed(rendered: RenderedNotification): void {
  expect(rendered.title.length).toBeGreaterThan(0);
  expect(Array.from(rendered.title).length).toBeLessThanOrEqual(200);
  expect(rendered.html.startsWith("<!DOCTYPE html>\n<html")).toBe(true);
  expect(rendered.html.trimEnd().endsWith("</html>")).toBe(true);
  // Only the layout's own tags, nothing a user typed.
  const layoutTags = ["!doctype", "body", "br", "h1", "head", "html", "meta", "p", "title"];
  for (const [, tag] of rendered.html.matchAll(/<\/?([a-zA-Z0-9!]+)/g)) expect(layoutTags).toContain(tag.toLowerCase());
}

describe("welcome", () => {
  it("greets the user by name and names the account", () => {
    const rendered = TEMPLATES.welcome({ displayName: "Ann", email: "ann@example.com" });
    expect(rendered.title).toBe("Welcome to Habit Tracker");
    expect(rendered.text).toMatch(/^Hi Ann,\n\n/);
    expect(rendered.text).toContain("ann@example.com");
    expect(shown(rendered.html)).toContain("Hi Ann,");
    expectWellFormed(rendered);
  });

  it("greets generically without a display name", () => {
    for (const displayName of ["", "   "]) {
      const rendered = TEMPLATES.welcome({ displayName, email: "ann@example.com" });
      expect(rendered.text).toMatch(/^Hi there,\n\n/);
      expect(rendered.text).not.toContain("Hi ,");
    }
  });

  it("escapes the display name in HTML and keeps it in text", () => {
    const rendered = TEMPLATES.welcome({ displayName: EVIL, email: "a&b@example.com" });
    expect(rendered.text).toContain(`Hi ${EVIL},`);
    expect(rendered.html).not.toContain("<script>");
    expect(rendered.html).toContain("a&amp;b@example.com");
    expect(shown(rendered.html)).toContain(`Hi ${EVIL},`);
    expectWellFormed(rendered);
  });
});

describe("milestone", () => {
  it.each([
    [7, "days", "7-day streak: Read", "7 days"],
    [1, "days", "1-day streak: Read", "1 day"],
    [365, "days", "365-day streak: Read", "365 days"],
    [4, "weeks", "4-week streak: Read", "4 weeks"],
    [52, "weeks", "52-week streak: Read", "52 weeks"],
  ] as const)("a %i %s milestone is titled %p and says %p", (milestone, unit, title, streak) => {
    const rendered = TEMPLATES.milestone({ displayName: "Ann", habitName: "Read", milestone, unit, date: "2026-11-21" });
    expect(rendered.title).toBe(title);
    for (const part of [rendered.text, shown(rendered.html)]) {
      expect(part).toContain("Hi Ann,");
      expect(part).toContain("Read");
      expect(part).toContain(streak);
      expect(part).toContain("Saturday, 2026-11-21");
    }
    expectWellFormed(rendered);
  });

  it("escapes a habit name in HTML and keeps it verbatim in text and title", () => {
    const rendered = TEMPLATES.milestone({ displayName: "", habitName: EVIL, milestone: 30, unit: "days", date: "2026-11-21" });
    expect(rendered.title).toBe(`30-day streak: ${EVIL}`);
    expect(rendered.text).toContain(EVIL);
    expect(rendered.text).toMatch(/^Hi there,/);
    expect(rendered.html).not.toContain("<script>");
    expect(rendered.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;");
    expect(shown(rendered.html)).toContain(EVIL);
    expectWellFormed(rendered);
  });
});

describe("reminder", () => {
  const base = { displayName: "Ann", habitName: "Read", date: "2026-03-08", time: "02:30", unit: "days" as const };

  it("names the habit, local date and time, and the current streak", () => {
    const rendered = TEMPLATES.reminder({ ...base, streak: 12 });
    expect(rendered.title).toBe("Reminder: Read");
    for (const part of [rendered.text, shown(rendered.html)]) {
      expect(part).toContain("Hi Ann,");
      expect(part).toContain("Read");
      expect(part).toContain("02:30");
      expect(part).toContain("Sunday, 2026-03-08");
      expect(part).toContain("current streak is 12 days");
    }
    expectWellFormed(rendered);
  });

  it("words a streak of one, of weeks, and of none", () => {
    expect(TEMPLATES.reminder({ ...base, streak: 1 }).text).toContain("current streak is 1 day.");
    expect(TEMPLATES.reminder({ ...base, streak: 3, unit: "weeks" }).text).toContain("current streak is 3 weeks.");
    const none = TEMPLATES.reminder({ ...base, streak: 0 }).text;
    expect(none).toContain("no streak running right now");
    expect(none).not.toContain("0 days");
  });

  it("escapes a habit name in HTML and keeps it verbatim in text", () => {
    const rendered = TEMPLATES.reminder({ ...base, habitName: EVIL, displayName: "", streak: 0 });
    expect(rendered.title).toBe(`Reminder: ${EVIL}`);
    expect(rendered.text).toContain(EVIL);
    expect(rendered.text).toMatch(/^Hi there,/);
    expect(rendered.html).not.toContain("<script>");
    expect(shown(rendered.html)).toContain(EVIL);
    expectWellFormed(rendered);
  });

  it("shortens a very long habit name, keeping the title within 200 characters", () => {
    const long = "🏃".repeat(150) + "x".repeat(400);
    const rendered = TEMPLATES.reminder({ ...base, habitName: long, streak: 2 });
    expect(Array.from(rendered.title).length).toBeLessThanOrEqual(200);
    expect(rendered.title.startsWith("Reminder: 🏃🏃")).toBe(true);
    expect(rendered.title.endsWith("…")).toBe(true);
    // Cut between code points, never inside an emoji's surrogate pair.
    expect(rendered.title).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(rendered.text).not.toContain("x".repeat(400));
    expectWellFormed(rendered);
  });
});

describe("layout", () => {
  it("escapes the five HTML specials", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
  });

  it("escapes the title and every paragraph of the e-mail", () => {
    const html = emailHtml("<b>title</b>", ["<i>one</i>", "two\nlines & <u>more</u>"]);
    expect(html).not.toMatch(/<(b|i|u)>/);
    expect(html).toContain("<title>&lt;b&gt;title&lt;/b&gt;</title>");
    expect(html).toContain('<p style="margin:0 0 16px">two<br>lines &amp; &lt;u&gt;more&lt;/u&gt;</p>');
  });

  it("truncates by code points with an ellipsis", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefg", 6)).toBe("abcde…");
    expect(truncate("😀😀😀", 2)).toBe("😀…");
  });

  it("has a template for every notification type", () => {
    const types: NotificationType[] = ["welcome", "milestone", "reminder", "password_reset"];
    expect(Object.keys(TEMPLATES).sort()).toEqual([...types].sort());
  });

  it("puts the reset link, whole, in both parts of the password-reset e-mail, escaped in the HTML", () => {
    const link = "http://127.0.0.1:3000/reset-password?token=abc_DEF-123&x=<y>";
    const mail = TEMPLATES.password_reset({ displayName: "Ann", link, validMinutes: 60 });
    expect(mail.text).toContain(link);
    expect(mail.html).toContain("token=abc_DEF-123&amp;x=&lt;y&gt;");
    expect(mail.html).not.toContain("<y>");
    expect(mail.text).toContain("60 minutes");
  });
});

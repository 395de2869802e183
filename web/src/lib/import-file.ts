/** Which import a chosen file is for: a Loop Habit Tracker backup is SQLite (its header says so), anything else is an export document. */
const SQLITE_HEADER = "SQLite format 3\u0000";

export function isSqlite(bytes: Uint8Array): boolean {
  if (bytes.length < SQLITE_HEADER.length) return false;
  for (let i = 0; i < SQLITE_HEADER.length; i++) if (bytes[i] !== SQLITE_HEADER.charCodeAt(i)) return false;
  return true;
}

/** "habit-tracker-export-2026-12-01.json", from the server's Content-Disposition, or a default. */
export function attachmentName(disposition: string | null, fallback: string): string {
  const found = disposition?.match(/filename="([^"]+)"/);
  return found ? found[1] : fallback;
}

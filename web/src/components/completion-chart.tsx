/** Completion per week or month as bars (an image with its numbers in its name), with a table of the same numbers. */
import { useState } from "preact/hooks";
import { completionBy } from "../lib/completion";
import { formatDate } from "../lib/dates";
import { percent } from "../lib/habit-text";
import type { DayStatus } from "../types";

const HEIGHT = 80;
const BAR = 14;
const GAP = 4;
/** Drawn at 1.6 × its units (narrower screens scale it down to their width). */
const SCALE = 1.6;

export function CompletionChart({ days, today }: { days: { date: string; status: DayStatus }[]; today: string }) {
  const [period, setPeriod] = useState<"week" | "month">("month");
  const all = completionBy(period, days, today);
  const slots = period === "week" ? 16 : 12;
  const shown = all.slice(-slots);
  const label = (start: string) => (period === "week" ? `week of ${formatDate(start)}` : formatDate(start, "month"));
  const summary = shown.map((entry) => `${label(entry.start)} ${entry.rate === null ? "nothing due" : percent(entry.rate)}`).join(", ");
  // As wide as a full chart whatever is shown, so a young habit's few bars keep their size instead of filling the width.
  const width = slots * (BAR + GAP);
  return (
    <div class="chart">
      <div class="row" role="group" aria-label="Chart period">
        {(["week", "month"] as const).map((choice) => (
          <button type="button" key={choice} aria-pressed={period === choice} onClick={() => setPeriod(choice)}>
            {choice === "week" ? "Weeks" : "Months"}
          </button>
        ))}
      </div>
      <svg
        role="img"
        aria-label={`Completion by ${period}: ${summary || "no data yet"}`}
        viewBox={`0 0 ${width} ${HEIGHT + 14}`}
        width={width * SCALE}
        height={(HEIGHT + 14) * SCALE}
        class="chart-svg"
      >
        {shown.map((entry, index) => {
          const height = entry.rate === null ? 0 : Math.max(2, entry.rate * HEIGHT);
          return (
            <g key={entry.start}>
              <rect class="chart-track" x={index * (BAR + GAP)} y={0} width={BAR} height={HEIGHT} rx={3} />
              <rect class="chart-bar" x={index * (BAR + GAP)} y={HEIGHT - height} width={BAR} height={height} rx={3} />
              <text class="chart-label" x={index * (BAR + GAP) + BAR / 2} y={HEIGHT + 11} text-anchor="middle">
                {period === "week" ? entry.start.slice(8) : formatDate(entry.start, "month").slice(0, 1)}
              </text>
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{period === "week" ? "Week of" : "Month"}</th>
              <th scope="col">Done</th>
              <th scope="col">Missed</th>
              <th scope="col">Completion</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.start}>
                <td>{period === "week" ? formatDate(entry.start) : formatDate(entry.start, "month")}</td>
                <td>{entry.done}</td>
                <td>{entry.missed}</td>
                <td>{entry.rate === null ? "–" : percent(entry.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

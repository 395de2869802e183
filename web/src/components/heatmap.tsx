/**
 * A year of day statuses as a grid (weeks across, weekdays down), one cell per day named
 * `YYYY-MM-DD: <status>` with the API's status (`not_due` too: outside tests read it). One cell is in the tab order at a time; arrow keys, Home and End move
 * between days, and Enter (or a click) picks a day for the check-in form.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { heatmapRows, moveInHeatmap } from "../lib/heatmap";
import type { DayStatus } from "../types";

const WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
export const STATUS_WORDS: Record<DayStatus, string> = {
  done: "done",
  partial: "partial",
  skipped: "skipped",
  missed: "missed",
  pending: "pending",
  not_due: "not due",
};

export function Heatmap(props: {
  name: string;
  from: string;
  to: string;
  days: { date: string; status: DayStatus }[];
  onPick: (date: string) => void;
}) {
  const { from, to } = props;
  const statuses = new Map(props.days.map((day) => [day.date, day.status]));
  const rows = heatmapRows(from, to, statuses);
  const [active, setActive] = useState(to);
  const grid = useRef<HTMLDivElement>(null);
  const focusOnRender = useRef(false);

  useEffect(() => {
    // The latest weeks are the ones people look at: on a narrow screen, scroll them into view.
    const scroller = grid.current?.parentElement;
    if (scroller) scroller.scrollLeft = scroller.scrollWidth;
  }, [from, to]);
  useEffect(() => {
    if (!focusOnRender.current) return;
    focusOnRender.current = false;
    grid.current?.querySelector<HTMLElement>(`[data-date="${active}"]`)?.focus();
  }, [active]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      props.onPick(active);
      return;
    }
    const next = moveInHeatmap(active, event.key, from, to);
    if (!next) return;
    event.preventDefault();
    focusOnRender.current = true;
    setActive(next);
  };

  return (
    <div class="heatmap-scroller">
      <div ref={grid} class="heatmap" role="grid" aria-label={`Year heatmap of ${props.name}`} onKeyDown={onKeyDown}>
        {rows.map((cells, weekday) => (
          <div role="row" class="heatmap-row" key={weekday}>
            <span role="rowheader" class="heatmap-weekday">
              {WEEKDAY_NAMES[weekday]}
            </span>
            {cells.map((cell, week) =>
              cell ? (
                <span
                  key={cell.date}
                  role="gridcell"
                  data-date={cell.date}
                  class={`cell status-${cell.status}`}
                  aria-label={`${cell.date}: ${cell.status}`}
                  title={`${cell.date}: ${STATUS_WORDS[cell.status]}`}
                  tabIndex={cell.date === active ? 0 : -1}
                  aria-selected={cell.date === active}
                  onClick={() => {
                    setActive(cell.date);
                    props.onPick(cell.date);
                  }}
                />
              ) : (
                <span key={`empty-${week}`} class="cell outside" aria-hidden="true" />
              ),
            )}
          </div>
        ))}
      </div>
      <ul class="legend" aria-label="Legend">
        {(Object.keys(STATUS_WORDS) as DayStatus[]).map((status) => (
          <li key={status}>
            <span class={`cell status-${status}`} aria-hidden="true" /> {STATUS_WORDS[status]}
          </li>
        ))}
      </ul>
    </div>
  );
}

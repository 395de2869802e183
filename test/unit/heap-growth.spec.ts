/**
 * limitHeapGrowth (src/heap-growth.ts), in child processes of the built module: a workload whose
 * objects outlive a scavenge and die in the old generation (what a loaded node does), with the
 * old space's peak size measured. With the limit the garbage is collected near the live size;
 * a `--heap-growing-percent` given on the command line is left to decide (here a loose 300 %).
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

const MODULE = path.resolve(__dirname, "../../dist/src/heap-growth.js");

const WORKLOAD = `
const v8 = require("node:v8");
require(${JSON.stringify(MODULE)}).limitHeapGrowth();
const live = Array.from({ length: 400000 }, (_, i) => ({ i, s: "live-" + i }));
const recent = new Array(30000);
let peak = 0;
for (let n = 0; n < 4e6; n++) {
  recent[n % recent.length] = { n, payload: "p" + n, pair: [n, n + 1] };
  if (n % 5000 === 0) peak = Math.max(peak, v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_size);
}
// Printing the live set's size keeps it alive to the end.
process.stdout.write(JSON.stringify({ peakMb: peak / 1048576, kept: live.length }));
`;

function peakOldSpaceMb(flags: string[]): number {
  // A 1 MB semi-space makes the short-lived objects survive scavenges quickly, as under load.
  const output = execFileSync(process.execPath, ["--max-semi-space-size=1", ...flags, "-e", WORKLOAD], { encoding: "utf8" });
  return (JSON.parse(output) as { peakMb: number }).peakMb;
}

describe("limitHeapGrowth", () => {
  it("keeps the old generation near its live size, unless the command line sets the growth", () => {
    const limited = peakOldSpaceMb([]);
    const loose = peakOldSpaceMb(["--heap-growing-percent=300"]);
    expect(limited).toBeGreaterThan(20); // the live set itself is there
    expect(limited).toBeLessThan(loose * 0.6);
  }, 60_000);
});

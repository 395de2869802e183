/**
 * Where a CPU profile's time went, in a few lines: the share of busy time (idle excluded) by
 * package (or our own folder), and the heaviest functions by self time.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  if (!url) return "(V8, native, GC)";
  const dependency = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?/, "node:").split("/")[0];
  const ours = /\/dist\/([^/]+)\//.exec(url);
  return ours ? `ours: ${ours[1]}/` : url;
}

export function summarizeProfile(profile: CpuProfile, top = 12): string {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = (nodes.get(id) as ProfileNode).callFrame;
    if (functionName === "(idle)") continue;
    busy += micros;
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    const name = `${functionName || "(anonymous)"} ${pkg}${url ? ` ${url.split("/").pop()}:${lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const share = (micros: number) => `${((100 * micros) / Math.max(busy, 1)).toFixed(1).padStart(5)} %`;
  const heaviest = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `busy ${(busy / 1e6).toFixed(1)} s; by package:`,
    ...heaviest(byPackage).map(([name, micros]) => `  ${share(micros)}  ${name}`),
    "heaviest functions (self time):",
    ...heaviest(byFunction).map(([name, micros]) => `  ${share(micros)}  ${name}`),
  ].join("\n");
}

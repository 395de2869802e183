/**
 * Holds a process to a share of one CPU with a cgroup v1 CPU quota (`cpu.cfs_quota_us` under
 * /sys/fs/cgroup/cpu), so that on one machine "a node" means a fixed amount of CPU: used by
 * `npm run cluster --cpu` and the scaling benchmark. Needs a writable cpu controller (root);
 * `cpuQuotaUnavailable()` says why not where it is missing.
 */
import fs from "node:fs";
import path from "node:path";

const CONTROLLER = "/sys/fs/cgroup/cpu";
// 10 ms, not the kernel's 100 ms: at a share of 0.1 a 100 ms period runs a node in 10 ms bursts
// and parks every continuation up to 90 ms, so far more load in flight is needed to keep it busy.
const PERIOD_US = 10_000;

/** Why quotas cannot be set here, or null when they can. */
export function cpuQuotaUnavailable(controller = CONTROLLER): string | null {
  if (!fs.existsSync(path.join(controller, "cpu.cfs_quota_us"))) return `no cgroup v1 cpu controller at ${controller}`;
  try {
    fs.accessSync(controller, fs.constants.W_OK);
  } catch {
    return `${controller} is not writable (run as root)`;
  }
  return null;
}

export class CpuQuota {
  private constructor(readonly dir: string) {}

  /** A cgroup named `name` holding its processes to `share` of one CPU (e.g. 0.25). */
  static create(name: string, share: number, controller = CONTROLLER): CpuQuota {
    if (!(share > 0 && share <= 64)) throw new Error(`a CPU share must be above 0 (got ${share})`);
    const dir = path.join(controller, "habit-tracker", name.replace(/[^\w.-]/g, "_"));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    fs.writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(Math.round(share * PERIOD_US)));
    return new CpuQuota(dir);
  }

  /** Moves a running process (all its threads) into the group. */
  add(pid: number): void {
    fs.writeFileSync(path.join(this.dir, "cgroup.procs"), String(pid));
  }

  /** Removes the group once its processes are gone. */
  dispose(): void {
    try {
      fs.rmdirSync(this.dir);
    } catch {
      // still holds a process, or already gone: left for the next run to reuse
    }
  }
}

import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';

/** Where and on what a run happened, stored with its figures so results from different machines are not mixed up. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  /** 1-minute load average at the start: a busy machine explains noisy figures. */
  loadAverage: number;
  /**
   * Share of all cores busy (0..1) over one second just before the run, from the kernel's per-core
   * counters. WHY beside the load average: that one decays over minutes, so a build that finished a
   * minute earlier still reads as load on an idle machine. Absent in results of older runs.
   */
  cpuBusyAtStart?: number;
  platform: string;
  kernel: string;
  node: string;
  v8: string;
  commit: string | undefined;
  /** Uncommitted changes in the tree that was measured. */
  dirty: boolean | undefined;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

/** Busy fraction of all cores over `ms` (user + nice + sys + irq against the total, from os.cpus()). */
export async function cpuBusy(ms = 1000): Promise<number> {
  const sample = (): { busy: number; total: number } => {
    let busy = 0;
    let total = 0;
    for (const { times } of cpus()) {
      busy += times.user + times.nice + times.sys + times.irq;
      total += times.user + times.nice + times.sys + times.irq + times.idle;
    }
    return { busy, total };
  };
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  const total = after.total - before.total;
  return total > 0 ? +((after.busy - before.busy) / total).toFixed(2) : 0;
}

/** Whether a run's figures were taken on a busy machine: the measured busy share when recorded, else the load average. */
export function wasBusy(m: MachineInfo): boolean {
  return m.cpuBusyAtStart !== undefined ? m.cpuBusyAtStart > 0.25 : m.loadAverage > m.cpuCount / 2;
}

export function machineInfo(): MachineInfo {
  const status = git(['status', '--porcelain', '--', '../protocol', '../server', '.']);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeMemoryGiB: +(freemem() / 2 ** 30).toFixed(1),
    loadAverage: +(loadavg()[0] ?? 0).toFixed(2),
    platform: platform(),
    kernel: release(),
    node: process.version,
    v8: process.versions.v8,
    commit: git(['rev-parse', 'HEAD']),
    dirty: status === undefined ? undefined : status.length > 0,
  };
}

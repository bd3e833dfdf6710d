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

import { readFileSync } from 'node:fs';

/**
 * Readers of another process's figures from /proc (Linux). WHY from outside: a process flooded into
 * swap or stuck in GC answers IPC late or never, and its own view of itself is exactly what is in doubt.
 */

/** Resident set size in bytes (VmRSS), or undefined when the process is gone or there is no /proc. */
export function readRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system) the process has used, or undefined when it is gone. */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces: count fields after its closing ')'.
    // utime and stime are fields 14 and 15 of the line, i.e. the 12th and 13th after the name, in
    // clock ticks of USER_HZ, which is 100 on Linux.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

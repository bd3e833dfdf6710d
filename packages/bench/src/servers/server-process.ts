import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { track } from '../children.js';
import { bunBinary } from './bun-binary.js';
import type { ServerKind } from './server-kinds.js';

const gcHook = new URL('./gc-hook.js', import.meta.url);

/** A server under test, running in its own process. */
export interface RunningServer {
  kind: ServerKind;
  port: number;
  pid: number;
  /** Lines the server printed before it was listening (ws's echo reports its add-ons there). */
  banner: string[];
  /** Forces a GC in the server and returns its resident set size in bytes, as the OS reports it. */
  collectAndMeasure(): Promise<number>;
  stop(): Promise<void>;
}

/** Resident set size of a process from /proc (Linux); undefined where there is no /proc. */
function procRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a new peak-RSS window for a process: Linux resets its high-water mark (VmHWM) to the current
 * RSS when "5" is written to /proc/<pid>/clear_refs. Returns false where that is not possible (no /proc,
 * another user's process), and `peakRss` then has no window to report.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The highest resident set size of a process since the last `resetPeakRss` (or since it started), in bytes. */
export function peakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a process has used, from /proc; undefined where there is no /proc. The
 * counters of /proc/<pid>/stat cover every thread of the process, so Node's helper threads (GC, libuv's
 * pool for zlib) and Bun's (JavaScriptCore's GC and JIT) count alike.
 */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those,
    // in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The parent's environment minus ws's add-on switches, plus the kind's own: only "ws-js" turns them off. */
function serverEnv(kind: ServerKind): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['WS_NO_BUFFER_UTIL'];
  delete env['WS_NO_UTF_8_VALIDATE'];
  return { ...env, ...kind.env };
}

/**
 * The program and arguments that run a server: Node with `--expose-gc` and the GC hook imported, or the
 * bun binary with the same hook preloaded (it calls `Bun.gc` there). The server is the spawned process
 * itself, never a wrapper, so the pid whose CPU and RSS are read from /proc is the server's.
 */
export function serverCommand(kind: ServerKind, nodeFlags: readonly string[] = []): { command: string; args: string[] } {
  if (kind.runtime === 'bun') {
    if (nodeFlags.length > 0) throw new Error(`${kind.label}: Node flags (${nodeFlags.join(' ')}) do not apply to Bun`);
    const bun = bunBinary();
    if (bun === undefined) throw new Error(`${kind.label}: the bun binary (@oven/bun-linux-x64) is not installed`);
    return { command: bun, args: ['--preload', fileURLToPath(gcHook), kind.script, ...kind.args] };
  }
  return {
    command: process.execPath,
    args: ['--expose-gc', ...nodeFlags, '--import', gcHook.href, kind.script, ...kind.args],
  };
}

/** Starts a server and resolves once it printed `listening on ws://127.0.0.1:N` (bounded by a timeout). */
export function startServer(kind: ServerKind, timeoutMs = 15_000, nodeFlags: readonly string[] = []): Promise<RunningServer> {
  const { command, args } = serverCommand(kind, nodeFlags);
  const child: ChildProcess = track(
    spawn(command, args, {
      env: serverEnv(kind),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiters: ((line: string) => boolean)[] = [];
  const banner: string[] = [];
  let listening = false;
  lines.on('line', (line) => {
    if (!listening && !line.startsWith('listening on ')) banner.push(line);
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i]!(line)) {
        waiters.splice(i, 1);
        return;
      }
    }
  });
  function waitLine(pattern: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind.label}: no "${what}" line within ${ms} ms; stderr: ${stderr.trim()}`)),
        ms,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${kind.label} exited (${code}) before "${what}"; stderr: ${stderr.trim()}`));
      });
      waiters.push((line) => {
        const m = pattern.exec(line);
        if (!m) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }
  return waitLine(/listening on ws:\/\/127\.0\.0\.1:(\d+)/, timeoutMs, 'listening on').then((m) => {
    listening = true;
    const pid = child.pid!;
    return {
      kind,
      port: Number(m[1]),
      pid,
      banner,
      async collectAndMeasure() {
        const done = waitLine(/^bench-gc-done rss=(\d+) gc=(\w+)/, 30_000, 'bench-gc-done');
        process.kill(pid, 'SIGUSR2');
        const line = await done;
        if (line[2] !== 'yes') throw new Error(`${kind.label}: gc() was not exposed`);
        return procRss(pid) ?? Number(line[1]);
      },
      stop() {
        return new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(kill);
            lines.close();
            resolve();
          });
          child.kill('SIGTERM');
        });
      },
    };
  });
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A server binary from dist/ running as a child process, with its stdout as lines. */
export interface RunningBin {
  child: ChildProcessWithoutNullStreams;
  port: number;
  url: string;
  lines: string[];
  /** Resolves when a stdout line equal to `line` has been printed (counting earlier ones). */
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export function binPath(name: 'example' | 'echo'): string {
  return fileURLToPath(new URL(`../../dist/bin/${name}.js`, import.meta.url));
}

/** Spawns `dist/bin/<name>.js` and waits for its `listening on ws[s]://HOST:PORT` line. */
export function startBin(name: 'example' | 'echo', args: string[], timeoutMs = 10_000): Promise<RunningBin> {
  return startNode(binPath(name), args, timeoutMs);
}

/** Spawns `node file ...args` and waits for its `listening on ws[s]://HOST:PORT` line. */
export async function startNode(file: string, args: string[], timeoutMs = 10_000): Promise<RunningBin> {
  const name = file;
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.line === line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const waitForLine = (line: string, ms = 5000): Promise<void> => {
    if (lines.includes(line)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no line ${JSON.stringify(line)} within ${ms} ms; got ${JSON.stringify(lines)}; stderr ${stderr}`)),
        ms,
      );
      waiters.push({ line, resolve: () => (clearTimeout(timer), resolve()) });
    });
  };
  const started = Date.now();
  while (!lines.some((l) => l.startsWith('listening on '))) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not print its listening line within ${timeoutMs} ms; stderr ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const listening = lines.find((l) => l.startsWith('listening on '))!;
  const url = listening.slice('listening on '.length);
  const port = Number(/:(\d+)$/.exec(url)![1]);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 15_000): Promise<number | null> => {
    if (child.exitCode !== null) return child.exitCode;
    // 'close', not 'exit': stdout may still hold lines when the process has exited.
    const exited = once(child, 'close');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
    return child.exitCode;
  };
  return { child, port, url, lines, waitForLine, stop };
}

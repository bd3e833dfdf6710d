import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A program running from a consumer project's `node_modules/.bin`, started as a shell would start it. */
export interface BinProcess {
  /** The `ws://HOST:PORT` it printed it listens on. */
  url: string;
  /** Output lines after the listening line. */
  lines: string[];
  /** SIGTERM, then SIGKILL if it has not exited within `timeout` ms; resolves with its exit code. */
  stop(timeout?: number): Promise<number | null>;
}

/**
 * Spawns `file` itself (not `node file`: its shebang and executable bit are under test) and waits, at
 * most `timeout` ms, for its `listening on ws://HOST:PORT` line.
 */
export function startBin(file: string, args: readonly string[], cwd: string, timeout = 10_000): Promise<BinProcess> {
  const child: ChildProcess = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (stopTimeout = 5_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeout);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`${file} ${args.join(' ')}: ${reason}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no listening line within ${timeout} ms`), timeout);
    child.once('error', (error) => fail(error.message));
    void exited.then((code) => fail(`exited with ${code}`));
    let url: string | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (url !== undefined) return void lines.push(line);
      const match = /^listening on (ws:\/\/\S+)$/.exec(line);
      if (match === null) return fail(`unexpected first line ${JSON.stringify(line)}`);
      url = match[1]!;
      clearTimeout(timer);
      resolve({ url, lines, stop });
    });
  });
}

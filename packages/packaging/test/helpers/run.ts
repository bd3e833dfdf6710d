import { execFile } from 'node:child_process';

/** What a finished command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd: string;
  /** Milliseconds before the command is killed (SIGKILL) and the run fails. */
  timeout: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion, bounded by `timeout`. Fails with the command line, its exit status and
 * both outputs, so that a broken pack, install or type check says what went wrong.
 */
export function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr });
        const status = error.killed ? `killed after ${options.timeout} ms` : `exit status ${String(error.code)}`;
        reject(new Error(`${[file, ...args].join(' ')} (in ${options.cwd}): ${status}\n${stdout}\n${stderr}`));
      },
    );
  });
}

/**
 * The environment minus the `npm_*` variables that a `pnpm run` or `npm run` above this test exports:
 * they would configure the npm this test starts (its registry, its user agent, its cache) behind its back.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  }
  return { ...env, ...extra };
}

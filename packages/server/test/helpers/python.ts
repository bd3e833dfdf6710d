import { spawn } from 'node:child_process';

/** Debian's interpreter: python3-websockets is importable from it, not from pyenv's python3 on PATH. */
export const PYTHON = '/usr/bin/python3';

/**
 * Runs an inline python3-websockets script with `args`, returning its stdout lines. Fails with the
 * script's stderr when it exits non-zero or runs longer than `timeoutMs`.
 */
export function runPython(script: string, args: string[], timeoutMs = 15_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python timed out after ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter((line) => line.length > 0));
      else reject(new Error(`python exited with ${code}\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** Messages between the orchestrator and the h2 load generator, and the arithmetic of the h2 rows. */

/** The transport a run of the h2 suite uses: one HTTP/2 connection, or one TCP connection per WebSocket. */
export type H2Mode = 'h2' | 'http1';

export type H2Request =
  | {
      type: 'open';
      port: number;
      mode: H2Mode;
      count: number;
      /** Handshakes in flight at once (the same for both modes, so the set-up times compare). */
      concurrency: number;
      timeoutMs: number;
    }
  | {
      type: 'echo';
      size: number;
      /** Messages in flight per WebSocket (closed loop: a reply lets the next message go). */
      window: number;
      warmupMs: number;
      durationMs: number;
    }
  | { type: 'close' };

export type H2Reply =
  | { type: 'opened'; ok: true; count: number; ms: number; clientBytesPerSocket: number | undefined; http2Used: boolean }
  | { type: 'phase'; phase: 'start' | 'end' }
  | { type: 'echoed'; ok: true; messages: number; seconds: number; busySockets: number }
  | { type: 'opened'; ok: false; error: string }
  | { type: 'echoed'; ok: false; error: string }
  | { type: 'closed' };

/** Growth of a resident set over a count of sockets, in KiB per socket (negative growth reads as 0). */
export function kibPerSocket(beforeBytes: number, afterBytes: number, sockets: number): number {
  if (!Number.isInteger(sockets) || sockets <= 0) throw new RangeError(`sockets must be a positive integer, got ${sockets}`);
  return Math.max(0, afterBytes - beforeBytes) / sockets / 1024;
}

/**
 * Server CPU per echoed message in microseconds; undefined when either figure is missing or zero (no
 * /proc, or a run that echoed nothing), so a row shows no figure rather than a wrong one.
 */
export function cpuMicrosPerMessage(cpuSeconds: number | undefined, messages: number): number | undefined {
  if (cpuSeconds === undefined || !(cpuSeconds > 0) || !(messages > 0)) return undefined;
  return (cpuSeconds * 1e6) / messages;
}

/**
 * Messages in flight per WebSocket for `sockets` WebSockets of `size` bytes: a few each, so every
 * WebSocket stays busy, with all of them together bounded to 16 MiB (the server's HTTP/2 connection
 * window, so the HTTP/2 run is not held back by a window the HTTP/1.1 run does not have).
 */
export function h2Window(size: number, sockets: number): number {
  if (size <= 0 || sockets <= 0) throw new RangeError(`size and sockets must be positive, got ${size} and ${sockets}`);
  return Math.max(1, Math.min(8, Math.floor((16 * 1024 * 1024) / (size * sockets))));
}

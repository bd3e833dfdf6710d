/**
 * Messages compressed (small ones) or inflated (up to 1 MiB of output) on the calling thread, through the same zlib stream (and so
 * the same LZ77 window) the thread-pool path uses.
 *
 * Why: an asynchronous zlib write is one job on libuv's thread pool, which costs two cross-thread
 * wake-ups (queue the job, signal its completion) plus the stream machinery around them: several times
 * the zlib work for a small message, and a profile of the echo server with 1 KiB deflate traffic put
 * half of all server CPU in the kernel's wake-up paths and little in zlib itself. A large inflate pays
 * that trip once per 16 KiB of output (64 trips for 1 MiB), so inflating goes inline up to 1 MiB of
 * output; compressing costs far more per byte, so only small messages are compressed inline
 * (`inlineDeflateLimit`, `inlineInflateLimit`). docs/permessage-deflate.md ("Inline zlib") has the
 * trade-off and docs/performance.md the command that re-measures it.
 *
 * How: Node has no public synchronous call on a live zlib stream (`zlib.deflateRawSync` makes a new
 * stream per call, losing the window that context takeover keeps, and a stream's `_processChunk` without
 * a callback closes the stream afterwards). The stream's native handle has the synchronous `writeSync`
 * that Node's own `*Sync` functions are built on, reporting progress through the stream's
 * `_writeState`. Both are internal, so {@link inlineZlibWorks} checks once per process that they behave
 * as expected (a round trip checked against the public `inflateRawSync`) before anything relies on
 * them; if not, every message takes the thread-pool path as before.
 */
import { constants, createDeflateRaw, createInflateRaw, inflateRawSync, type DeflateRaw, type InflateRaw } from 'node:zlib';

type ZlibStream = DeflateRaw | InflateRaw;

/** The part of Node's zlib binding the inline path uses (internal: see the module comment). */
interface NativeZlib {
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
}

/** Internal fields of Node's zlib streams the inline path reads. */
interface StreamInternals {
  _handle?: NativeZlib | null;
  /** [output bytes left free, input bytes left unread] after the last write. */
  _writeState?: Uint32Array;
}

/** Output is produced into this scratch buffer and copied out, so nothing pins it. */
const SCRATCH_SIZE = 16 * 1024;
let scratch: Buffer | undefined;

/** What one inline pass produced. */
export interface InlineOutput {
  /** Output pieces, each its own buffer (copied out of the scratch buffer). */
  chunks: Buffer[];
  length: number;
  /**
   * Input bytes zlib did not take. When `complete`, non-zero only if the stream ended (a BFINAL block)
   * before them; otherwise they, and output zlib still holds, are the rest of the message.
   */
  inputLeft: number;
  /** False when the pass stopped past `pause` bytes of output with more possibly to come. */
  complete: boolean;
}

/** Why an inline pass stopped early. */
export type InlineFailure = { kind: 'zlib'; error: Error } | { kind: 'limit' };

/**
 * Runs `input` through `stream` with a sync flush, on this thread. Returns the output, or a failure:
 * zlib rejected the data (the stream is then destroyed), or the output passed `limit` bytes (zlib's
 * state is then mid-message and the caller must close the stream). Once the output passes `pause`
 * bytes with more possibly to come, it returns early (`complete` false): the caller finishes the
 * message on the thread pool, so a small input that inflates hugely cannot hold the event loop for long.
 * (Past, not at: a message of exactly `pause` bytes fills the scratch buffer on its last write, and one
 * more inline write to learn that nothing follows is far cheaper than a thread-pool trip.)
 *
 * The stream must be idle (no asynchronous write in progress) and open: Node's binding aborts the
 * process otherwise, so callers serialise every use of a stream.
 * @param allocate makes each output piece: pooled memory for data about to be written to a socket,
 *   memory of its own for data handed to the application (which may keep it).
 */
export function processInline(
  stream: ZlibStream,
  input: Uint8Array,
  limit: number,
  pause: number,
  allocate: (size: number) => Buffer,
): InlineOutput | InlineFailure {
  const internals = stream as unknown as StreamInternals;
  const handle = internals._handle as NativeZlib;
  const state = internals._writeState as Uint32Array;
  const out = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
  const chunks: Buffer[] = [];
  let length = 0;
  let offset = 0;
  let left = input.length;
  for (;;) {
    handle.writeSync(constants.Z_SYNC_FLUSH, input, offset, left, out, 0, SCRATCH_SIZE);
    // A zlib error calls the stream's error handler synchronously, which destroys the stream.
    if (stream.destroyed) return { kind: 'zlib', error: stream.errored ?? new Error('zlib failed') };
    const outFree = state[0] as number;
    const inLeft = state[1] as number;
    const produced = SCRATCH_SIZE - outFree;
    offset += left - inLeft;
    left = inLeft;
    if (produced > 0) {
      length += produced;
      if (length > limit) return { kind: 'limit' };
      const piece = allocate(produced);
      out.copy(piece, 0, 0, produced);
      chunks.push(piece);
    }
    // Free output space left means zlib has nothing more to give for this input.
    if (outFree !== 0) return { chunks, length, inputLeft: left, complete: true };
    if (length > pause) return { chunks, length, inputLeft: left, complete: false };
  }
}

/** Joins inline output pieces (one piece is returned as is). */
export function joinChunks(output: InlineOutput, allocate: (size: number) => Buffer): Buffer {
  const { chunks, length } = output;
  if (chunks.length === 1) return chunks[0] as Buffer;
  if (chunks.length === 0) return allocate(0);
  const joined = allocate(length);
  let at = 0;
  for (const chunk of chunks) {
    chunk.copy(joined, at);
    at += chunk.length;
  }
  return joined;
}

let verdict: boolean | undefined;

/**
 * Whether the inline path works on this Node: the internals exist and a compress / inflate round trip
 * through them (two messages, the second using the first's window) matches the public zlib functions.
 * Checked once per process (well under a millisecond).
 */
export function inlineZlibWorks(): boolean {
  verdict ??= check();
  return verdict;
}

/** For tests: forget the verdict, or force one. */
export function setInlineZlibVerdict(value: boolean | undefined): void {
  verdict = value;
}

function check(): boolean {
  let deflate: DeflateRaw | undefined;
  let inflate: InflateRaw | undefined;
  try {
    deflate = createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
    inflate = createInflateRaw({ flush: constants.Z_SYNC_FLUSH });
    for (const stream of [deflate, inflate]) {
      const internals = stream as unknown as StreamInternals;
      if (typeof internals._handle?.writeSync !== 'function') return false;
      if (!(internals._writeState instanceof Uint32Array) || internals._writeState.length < 2) return false;
    }
    const first = Buffer.from('permessage-deflate inline check: '.repeat(8));
    const second = Buffer.from('permessage-deflate inline check, the second message');
    const own = (size: number): Buffer => Buffer.allocUnsafe(size);
    const a = processInline(deflate, first, Infinity, Infinity, own);
    const b = processInline(deflate, second, Infinity, Infinity, own);
    if (!('chunks' in a) || !('chunks' in b)) return false;
    const wire = Buffer.concat([joinChunks(a, own), joinChunks(b, own)]);
    // The public one-shot inflater reads both flushed messages as one stream.
    const expected = Buffer.concat([first, second]);
    if (!inflateRawSync(wire, { finishFlush: constants.Z_SYNC_FLUSH }).equals(expected)) return false;
    const c = processInline(inflate, wire, Infinity, Infinity, own);
    return 'chunks' in c && c.complete && c.inputLeft === 0 && joinChunks(c, own).equals(expected);
  } catch {
    return false;
  } finally {
    deflate?.on('error', () => undefined).close();
    inflate?.on('error', () => undefined).close();
  }
}

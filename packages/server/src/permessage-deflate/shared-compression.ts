/**
 * One compression for many connections: a server's publish compresses a message once for every
 * subscriber whose compressor starts each message from an empty window (server_no_context_takeover),
 * because such a compressor's output depends only on the message and its zlib settings, not on the
 * connection. Subscribers with context takeover cannot share: their windows differ (they get the
 * message uncompressed, RSV1 clear, which RFC 7692 allows).
 */
import { Compressor } from './compressor.js';
import type { DeflatePlan } from './deflate-extension.js';
import { inlineZlibWorks } from './inline-zlib.js';

/** What a publish needs to compress a message once for every connection that can take the result. */
export interface SharedCompression {
  /**
   * Connections whose compressions share a key produce the same bytes for the same message: the
   * window bits, level and memLevel.
   */
  readonly key: string;
  /** Messages shorter than this go out uncompressed (the negotiator's `threshold`). */
  readonly threshold: number;
  /**
   * The message compressed as one permessage-deflate payload (without the 4-byte tail): on this thread
   * for a message up to `inlineDeflateLimit`, otherwise on the thread pool through the zlib limiter.
   * Throws or rejects on a zlib failure.
   */
  compress(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const byPlan = new WeakMap<DeflatePlan, SharedCompression>();

/** The shared compression of a plan without server context takeover, or undefined (its window is its own). */
export function sharedCompressionOf(plan: DeflatePlan): SharedCompression | undefined {
  if (!plan.deflate.noContextTakeover) return undefined;
  let shared = byPlan.get(plan);
  if (shared === undefined) {
    const { windowBits, level, memLevel } = plan.deflate;
    shared = Object.freeze({
      key: `${windowBits}:${level}:${memLevel}`,
      threshold: plan.threshold,
      compress: (data: Uint8Array) => compressOnce(plan, data),
    });
    byPlan.set(plan, shared);
  }
  return shared;
}

function compressOnce(plan: DeflatePlan, data: Uint8Array): Uint8Array | Promise<Uint8Array> {
  // Without context takeover a Compressor borrows an idle stream from the shared pool per message and
  // gives it back: a fresh one per publish costs an object, not a zlib stream.
  const compressor = new Compressor(plan.deflate);
  if (plan.inlineDeflateLimit > 0 && data.length <= plan.inlineDeflateLimit && inlineZlibWorks()) {
    return compressor.compressInline(data);
  }
  return plan.limiter.run(() => compressor.compress(data));
}

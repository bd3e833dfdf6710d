/**
 * TextEncoder/TextDecoder exist in every runtime this package targets, but the build deliberately has no
 * DOM or Node typings (`types: []`), so they are reached through `globalThis` with minimal local types.
 * @module
 */

interface Utf8Encoder {
  encode(input: string): Uint8Array;
}
interface Utf8Decoder {
  decode(input: Uint8Array): string;
}
const runtime = globalThis as unknown as {
  TextEncoder: new () => Utf8Encoder;
  TextDecoder: new (label?: string) => Utf8Decoder;
};

/** Shared encoder: string to UTF-8 (lone surrogates become U+FFFD). */
export const utf8Encoder: Utf8Encoder = new runtime.TextEncoder();
/** Shared decoder for bytes already validated as UTF-8. */
export const utf8Decoder: Utf8Decoder = new runtime.TextDecoder('utf-8');

/**
 * The UTF-8 vectors of the conformance table (Autobahn|Testsuite's case 6 list and RFC 3629 boundaries),
 * shared with the tests that run them through both validation paths, the scalar loops and the
 * WebAssembly kernel (wasm-kernels.test.ts), and with the check that does so under Deno and Bun
 * (packages/examples). Plain data: no imports, so every runtime can load this file as it is.
 */

/** Valid text: [Autobahn case id, text]. */
export const UTF8_VALID: readonly (readonly [string, string])[] = [
  ['6.1.1', 'Hello-µ@ßöäüàá-UTF-8!!'],
  ['6.1.2', 'κόσμε'],
  ['6.1.3', '𝄞 and 😀'],
  ['6.1.4', '\u{10FFFF}\uFFFF\uD7FF\uE000\u0080\u07FF\u0800'],
];

/** Invalid bytes: [what is wrong, bytes]. */
export const UTF8_INVALID: readonly (readonly [string, number[]])[] = [
  ['overlong 2-byte C0 AF', [0xc0, 0xaf]],
  ['overlong 2-byte C1 BF', [0xc1, 0xbf]],
  ['overlong 3-byte E0 80 AF', [0xe0, 0x80, 0xaf]],
  ['overlong 3-byte E0 9F BF', [0xe0, 0x9f, 0xbf]],
  ['overlong 4-byte F0 80 80 AF', [0xf0, 0x80, 0x80, 0xaf]],
  ['overlong 4-byte F0 8F BF BF', [0xf0, 0x8f, 0xbf, 0xbf]],
  ['surrogate U+D800', [0xed, 0xa0, 0x80]],
  ['surrogate U+DFFF', [0xed, 0xbf, 0xbf]],
  ['surrogate pair (CESU-8)', [0xed, 0xa0, 0xbd, 0xed, 0xb2, 0x80]],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['F5 lead', [0xf5, 0x80, 0x80, 0x80]],
  ['5-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['6-byte form', [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
  ['FE', [0xfe]],
  ['FF', [0xff]],
  ['lone continuation 80', [0x80]],
  ['lone continuation BF', [0x41, 0xbf]],
  ['truncated 2-byte at end', [0x41, 0xc2]],
  ['truncated 3-byte at end', [0xe2, 0x82]],
  ['truncated 4-byte at end', [0xf0, 0x9f, 0x98]],
  ['lead followed by ASCII', [0xc2, 0x41]],
  ['κόσμε with an embedded surrogate', [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xed, 0xa0, 0x80, 0xce, 0xbc]],
];

/** Valid text at the edges of each sequence length and around the surrogates: [what, text]. */
export const UTF8_BOUNDARIES: readonly (readonly [string, string])[] = [
  ['first 1-byte U+0000', '\u0000'],
  ['first 2-byte U+0080', '\u0080'],
  ['first 3-byte U+0800', '\u0800'],
  ['first 4-byte U+10000', '\u{10000}'],
  ['last 1-byte U+007F', '\u007F'],
  ['last 2-byte U+07FF', '\u07FF'],
  ['last 3-byte U+FFFF (noncharacter, valid)', '\uFFFF'],
  ['U+D7FF before the surrogates', '\uD7FF'],
  ['U+E000 after the surrogates', '\uE000'],
  ['U+FFFD', '\uFFFD'],
  ['U+10FFFF, the last code point', '\u{10FFFF}'],
  ['noncharacters U+FFFE, U+FDD0, U+1FFFF (valid)', '\uFFFE\uFDD0\u{1FFFF}'],
];

/** Invalid bytes at the same edges: [what, bytes]. */
export const UTF8_INVALID_BOUNDARIES: readonly (readonly [string, number[]])[] = [
  ['U+110000', [0xf4, 0x90, 0x80, 0x80]],
  ['U+1FFFFF as 4 bytes', [0xf7, 0xbf, 0xbf, 0xbf]],
  ['overlong NUL, 2 bytes', [0xc0, 0x80]],
  ['overlong NUL, 3 bytes', [0xe0, 0x80, 0x80]],
  ['overlong NUL, 4 bytes', [0xf0, 0x80, 0x80, 0x80]],
  ['largest overlong 3-byte U+07FF', [0xe0, 0x9f, 0xbf]],
  ['largest overlong 4-byte U+FFFF', [0xf0, 0x8f, 0xbf, 0xbf]],
  ['paired surrogates U+D800 U+DC00', [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]],
  ['lone low surrogate U+DC00', [0xed, 0xb0, 0x80]],
  ['all continuation bytes 80-BF', Array.from({ length: 64 }, (_, i) => 0x80 + i)],
  ['lonely 2-byte starts followed by spaces', [0xc0, 0x20, 0xc1, 0x20, 0xc2, 0x20]],
  ['3-byte sequence with its last byte missing, then ASCII', [0xe0, 0x80, 0x41]],
];

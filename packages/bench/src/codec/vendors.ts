import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Loads the pieces of `ws` and its add-ons the codec benches compare against.
 *
 * ws's exports map only exposes "." and "./package.json", so `ws/lib/*.js` cannot be imported by
 * specifier; Receiver and Sender are re-exported from the main entry, and the internal helpers (the
 * pure-JS unmask, the validator ws actually uses) are required by absolute path, which the exports map
 * does not govern.
 */
const require = createRequire(import.meta.url);
const wsDir = dirname(require.resolve('ws'));

type UnmaskFn = (buffer: Buffer, mask: Buffer) => void;

interface WsBufferUtil {
  unmask: UnmaskFn;
  mask: (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;
}

interface WsValidation {
  isValidUTF8: (buf: Buffer) => boolean;
}

/** `bufferutil`'s native functions (the add-on ws picks up when it is installed). */
export const bufferutil = require('bufferutil') as WsBufferUtil;

/** `utf-8-validate`'s native validator. */
export const utf8Validate = require('utf-8-validate') as (buf: Uint8Array) => boolean;

/** The validator ws uses in this process (on Node >= 18.14 that is `buffer.isUtf8`, not utf-8-validate). */
export const wsIsValidUtf8 = (require(join(wsDir, 'lib/validation.js')) as WsValidation).isValidUTF8;

/**
 * ws's pure-JS unmask: buffer-util.js decides at load time, from WS_NO_BUFFER_UTIL, whether to wrap
 * bufferutil, so load a second copy of the module with the variable set and put the first copy back.
 */
export const wsPureJsUnmask: UnmaskFn = (() => {
  const file = join(wsDir, 'lib/buffer-util.js');
  const cached = require.cache[file];
  const previous = process.env['WS_NO_BUFFER_UTIL'];
  try {
    delete require.cache[file];
    process.env['WS_NO_BUFFER_UTIL'] = '1';
    return (require(file) as WsBufferUtil).unmask;
  } finally {
    if (previous === undefined) delete process.env['WS_NO_BUFFER_UTIL'];
    else process.env['WS_NO_BUFFER_UTIL'] = previous;
    if (cached) require.cache[file] = cached;
    else delete require.cache[file];
  }
})();

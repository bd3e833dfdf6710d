import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** One file of a packed tarball. */
export interface TarEntry {
  /** The path inside the archive, e.g. `package/dist/index.js`. */
  path: string;
  /** The permission bits, e.g. 0o755. */
  mode: number;
  content: Buffer;
}

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** The `path` record of a pax extended header (`LEN path=VALUE\n` records), if any. */
function paxPath(content: Buffer): string | undefined {
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(content.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = content.subarray(space + 1, offset + length - 1).toString('utf8');
    if (record.startsWith('path=')) return record.slice('path='.length);
    offset += length;
  }
  return undefined;
}

/**
 * The regular files of a .tgz, read here from the ustar format (with pax path records) rather than
 * through a tar tool, so the test sees exactly the names and modes a package manager will unpack.
 */
export function readTarball(file: string): TarEntry[] {
  const archive = gunzipSync(readFileSync(file));
  const entries: TarEntry[] = [];
  let nextPath: string | undefined;
  for (let offset = 0; offset + BLOCK <= archive.length; ) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // the end-of-archive blocks
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const content = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      nextPath = paxPath(content);
      continue;
    }
    const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
    const path = nextPath ?? (prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    nextPath = undefined;
    if (type === '0' || type === '\0') entries.push({ path, mode: octal(header, 100, 8) & 0o7777, content });
  }
  return entries;
}

import { createHash, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { upgradeRequest as request } from './helpers.js';
import { base64Decode, base64DecodedLength, base64Encode } from '../src/handshake/base64.js';
import { listHasToken, splitList, valueHasToken } from '../src/handshake/headers.js';
import { computeAccept, sha1, upgrade, parseExtensionHeader } from '../src/index.js';

/**
 * The handshake's cheap paths (one-pass header collection, the whole-value token check, the
 * allocation-free key check and SHA-1 over ASCII) must give exactly the answers of the plain ones.
 */

describe('computeAccept', () => {
  const nodeAccept = (key: string): string =>
    createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`, 'utf8').digest('base64');

  it('matches node:crypto for random keys, ASCII of every length, and non-ASCII input', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(16);
      webcrypto.getRandomValues(bytes);
      const key = Buffer.from(bytes).toString('base64');
      expect(computeAccept(key)).toBe(nodeAccept(key));
    }
    for (const length of [0, 1, 3, 4, 19, 20, 27, 28, 91, 92, 200]) {
      const key = 'k'.repeat(length);
      expect(computeAccept(key), `length ${length}`).toBe(nodeAccept(key));
    }
    // Not a valid key, but computeAccept is public: non-ASCII goes through UTF-8 like before.
    for (const key of ['é', 'ключ==', '\u{1f600}', 'abc\u0080']) expect(computeAccept(key)).toBe(nodeAccept(key));
  });

  it('sha1 still agrees with node:crypto after the ASCII path reused its scratch', () => {
    computeAccept('dGhlIHNhbXBsZSBub25jZQ==');
    for (const length of [0, 55, 56, 64, 119, 120, 5000, 3]) {
      const data = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 255);
      expect(Buffer.from(sha1(data)).toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
    }
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('base64DecodedLength', () => {
  it('refuses exactly what base64Decode refuses and otherwise gives its length', () => {
    const samples = [
      '',
      'A',
      'AA',
      'AAA',
      'AAAA',
      'AA==',
      'AAA=',
      'A===',
      '====',
      '=AAA',
      'AB=C',
      'AA=A',
      'AAAA====',
      'AAAAAA==',
      'dGhlIHNhbXBsZSBub25jZQ==',
      'dGhlIHNhbXBsZSBub25jZQ',
      'dGhlIHNhbXBsZSBub25jZQ=',
      'dGhlIHNhbXBsZSBub25jZQ==\n',
      'dGhl-HNhbXBsZSBub25jZQ==',
      'dGhl_HNhbXBsZSBub25jZQ==',
      'dGhlIHNhbXBsZSBub25jZé==',
      'dGhlIHNhbXBsZSBub25j ZQ=',
      'ab+/',
      'AAAAAAAAAAAAAAAAAAAAAAAA',
    ];
    for (const text of samples) {
      const decoded = base64Decode(text);
      expect(base64DecodedLength(text), JSON.stringify(text)).toBe(decoded?.length);
      if (decoded !== undefined && text.length > 0) {
        // Canonical inputs round-trip.
        if (base64Encode(decoded) === text) expect(Buffer.from(decoded).toString('base64')).toBe(text);
      }
    }
    const sixteen = new Uint8Array(16).map((_, i) => i * 17);
    expect(base64Decode(base64Encode(sixteen))).toEqual(sixteen);
  });
});

describe('valueHasToken', () => {
  it('agrees with splitting the list, for bare tokens, lists, whitespace and case', () => {
    const values = [
      'Upgrade',
      'upgrade',
      'UPGRADE',
      'upgradE',
      'keep-alive, Upgrade',
      'keep-alive,upgrade',
      ' upgrade',
      'upgrade ',
      'upgrades',
      'upgrad',
      'xupgrade',
      'upgrade,',
      ',upgrade',
      'up grade',
      '',
      'keep-alive',
      'upgrade\u00a0',
      '\tupgrade\t',
      'upgr\u212Ade',
    ];
    for (const value of values) {
      const expected = splitList([value]).some((item) => item.toLowerCase() === 'upgrade');
      expect(valueHasToken(value, 'upgrade'), JSON.stringify(value)).toBe(expected);
      expect(listHasToken([value], 'Upgrade')).toBe(expected);
    }
    expect(listHasToken(['keep-alive', 'upgrade'], 'upgrade')).toBe(true);
    expect(listHasToken([], 'upgrade')).toBe(false);
  });
});

describe('one-pass header collection', () => {
  it('matches header names in any case and refuses a header repeated under two spellings', () => {
    expect(
      upgrade({
        Host: 'a',
        UPGRADE: 'WebSocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
      }),
    ).toMatchObject({ ok: true });
    expect(upgrade({ ...request(), Host: 'b.example' })).toMatchObject({ ok: false, status: 400, reason: 'Missing Host header' });
    expect(upgrade({ ...request(), 'SEC-WEBSOCKET-KEY': 'AAAAAAAAAAAAAAAAAAAAAA==' })).toMatchObject({ ok: false, status: 400 });
    expect(upgrade({ ...request(), 'Sec-Websocket-Version': '13' })).toMatchObject({ ok: false, status: 426 });
    expect(upgrade({ ...request(), host: ['a', 'b'] })).toMatchObject({ ok: false, status: 400 });
    expect(upgrade({ ...request(), host: ['a'] })).toMatchObject({ ok: true });
    expect(upgrade({ ...request(), host: '   ' })).toMatchObject({ ok: false, status: 400 });
  });

  it('ignores undefined values and inherited properties, like the per-name lookup did', () => {
    const withUndefined = { ...request(), 'sec-websocket-protocol': undefined } as Record<string, string | undefined>;
    expect(upgrade(withUndefined, { selectProtocol: () => 'never' })).toMatchObject({ ok: true, protocol: undefined });
    // An inherited (not own) duplicate would make the request invalid if it were read.
    const inherited = Object.assign(Object.create({ 'sec-websocket-protocol': 'a, a' }) as Record<string, string>, request());
    expect(upgrade(inherited)).toMatchObject({ ok: true });
    const nullProto = Object.assign(Object.create(null) as Record<string, string>, request());
    expect(upgrade(nullProto)).toMatchObject({ ok: true });
  });

  it('reads the Upgrade and Connection tokens from every occurrence', () => {
    expect(
      upgrade([...Object.entries(request({ connection: 'keep-alive' })), ['Connection', 'Upgrade']] as [string, string][]),
    ).toMatchObject({ ok: true });
    expect(upgrade({ ...request(), upgrade: ['h2c', 'websocket'] })).toMatchObject({ ok: true });
    expect(upgrade({ ...request(), upgrade: ['h2c'] })).toMatchObject({ ok: false, status: 400 });
  });

  it('parses extension offers from repeated headers in order, and still refuses bad syntax when none is wanted', () => {
    expect(parseExtensionHeader(['a; x=1', 'b, c;y="2"'])).toEqual([
      { name: 'a', params: [['x', '1']] },
      { name: 'b', params: [] },
      { name: 'c', params: [['y', '2']] },
    ]);
    expect(parseExtensionHeader(' \t a ;\tb = c , ,')).toEqual([{ name: 'a', params: [['b', 'c']] }]);
    for (const bad of ['a;', 'a; =1', 'a b', 'é', 'a;b=', 'a;b="c d"', 'a;b="'])
      expect(() => parseExtensionHeader(bad), bad).toThrow();
    expect(upgrade(request({ 'sec-websocket-extensions': 'x; =1' }))).toMatchObject({ ok: false, status: 400 });
    expect(upgrade(request({ 'sec-websocket-extensions': 'x; y=1' }))).toMatchObject({ ok: true });
  });
});

describe('computeAccept option', () => {
  it('is called with the trimmed, validated key and its value is answered', () => {
    const keys: string[] = [];
    const result = upgrade(request({ 'sec-websocket-key': ' dGhlIHNhbXBsZSBub25jZQ== ' }), {
      computeAccept: (key) => {
        keys.push(key);
        return createHash('sha1').update(key).update('258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      },
    });
    expect(keys).toEqual(['dGhlIHNhbXBsZSBub25jZQ==']);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.headers).toContainEqual(['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
  });

  it('is not called for a refused request', () => {
    let called = false;
    const result = upgrade(request({ 'sec-websocket-key': 'short' }), { computeAccept: () => ((called = true), 'x') });
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(called).toBe(false);
  });
});

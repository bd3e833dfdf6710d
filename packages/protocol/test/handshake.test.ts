import { createHash, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { upgradeRequest as request } from './helpers.js';
import {
  acceptClientHandshake,
  computeAccept,
  createClientHandshake,
  getHeaderValues,
  HandshakeError,
  headerPairs,
  isToken,
  isWebSocketUpgrade,
  sha1,
  upgrade,
} from '../src/index.js';

const random = (bytes: Uint8Array): void => {
  webcrypto.getRandomValues(bytes);
};

describe('computeAccept / sha1', () => {
  it('matches the RFC 6455 section 1.3 example', () => {
    // The RFC's own worked example (section 1.3).
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('agrees with node:crypto SHA-1 on inputs around block boundaries', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = new Uint8Array(length);
      random(data);
      expect(Buffer.from(sha1(data)).toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });
});

describe('server handshake', () => {
  it('accepts a valid request and answers with the accept value', () => {
    const result = upgrade(request());
    expect(result).toEqual({
      ok: true,
      headers: [
        ['Upgrade', 'websocket'],
        ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ],
      protocol: undefined,
      extensions: [],
    });
  });

  it('detects upgrades case-insensitively with Connection token lists', () => {
    expect(isWebSocketUpgrade({ Upgrade: 'WebSocket', Connection: 'keep-alive, Upgrade' })).toBe(true);
    expect(
      isWebSocketUpgrade([
        ['UPGRADE', 'websocket'],
        ['connection', 'keep-alive,upgrade'],
      ]),
    ).toBe(true);
    expect(isWebSocketUpgrade({ upgrade: 'websocket', connection: 'keep-alive' })).toBe(false);
    expect(isWebSocketUpgrade({ upgrade: 'h2c', connection: 'upgrade' })).toBe(false);
    expect(isWebSocketUpgrade(new Headers({ upgrade: 'websocket', connection: 'Upgrade' }))).toBe(true);
  });

  it('answers a missing or other version with 426 and Sec-WebSocket-Version: 13', () => {
    for (const version of ['8', '', '13, 8']) {
      const result = upgrade(request({ 'sec-websocket-version': version }));
      expect(result).toMatchObject({ ok: false, status: 426, headers: [['Sec-WebSocket-Version', '13']] });
    }
    const { 'sec-websocket-version': _, ...withoutVersion } = request();
    expect(upgrade(withoutVersion)).toMatchObject({ ok: false, status: 426 });
  });

  it('rejects keys that are not base64 of 16 bytes with 400', () => {
    for (const key of ['', 'abc', 'dGhlIHNhbXBsZSBub25jZQ', 'dGhlIHNhbXBsZSBub25jZXM=', 'AAAAAAAAAAAAAAAAAAAAAAAA']) {
      expect(upgrade(request({ 'sec-websocket-key': key }))).toMatchObject({ ok: false, status: 400 });
    }
  });

  it('rejects missing Upgrade, Connection or Host with 400 and a reason', () => {
    const result = upgrade(request({ upgrade: 'h2c' }));
    expect(result).toMatchObject({ ok: false, status: 400 });
    if (!result.ok) expect(result.reason).toMatch(/Upgrade/);
    expect(upgrade(request({ connection: 'keep-alive' }))).toMatchObject({ ok: false, status: 400 });
    const { host: _, ...withoutHost } = request();
    expect(upgrade(withoutHost)).toMatchObject({ ok: false, status: 400 });
  });

  it('accepts every header shape and rejects a repeated key', () => {
    const pairs = Object.entries(request());
    expect(upgrade(pairs)).toMatchObject({ ok: true });
    expect(upgrade(new Map(pairs))).toMatchObject({ ok: true });
    expect(upgrade(new Headers(pairs))).toMatchObject({ ok: true });
    expect(upgrade({ ...request(), 'sec-websocket-key': ' dGhlIHNhbXBsZSBub25jZQ== ' })).toMatchObject({ ok: true });
    expect(upgrade([...pairs, ['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAAAA==']])).toMatchObject({ ok: false, status: 400 });
    expect(upgrade([...pairs, ['Sec-WebSocket-Version', '13']])).toMatchObject({ ok: false, status: 426 });
  });

  it('collects subprotocols from repeated headers and Node-style arrays, in order', () => {
    let seen: readonly string[] = [];
    const select = (offered: readonly string[]): string | undefined => {
      seen = offered;
      return undefined;
    };
    expect(
      upgrade([...Object.entries(request()), ['Sec-WebSocket-Protocol', 'a, b'], ['sec-websocket-protocol', 'c']], {
        selectProtocol: select,
      }),
    ).toMatchObject({ ok: true, protocol: undefined });
    expect(seen).toEqual(['a', 'b', 'c']);
    upgrade({ ...request(), 'sec-websocket-protocol': ['x', 'y, z'] } as Record<string, string | string[]>, {
      selectProtocol: select,
    });
    expect(seen).toEqual(['x', 'y', 'z']);
    expect(upgrade({ ...request(), 'sec-websocket-protocol': 'a, a' })).toMatchObject({ ok: false, status: 400 });
  });

  it('lets the caller pick a subprotocol among those offered', () => {
    const result = upgrade(request({ 'sec-websocket-protocol': 'chat, superchat' }), {
      selectProtocol: (offered) => {
        expect(offered).toEqual(['chat', 'superchat']);
        return 'superchat';
      },
    });
    expect(result).toMatchObject({ ok: true, protocol: 'superchat' });
    if (result.ok) expect(result.headers).toContainEqual(['Sec-WebSocket-Protocol', 'superchat']);
    expect(() => upgrade(request({ 'sec-websocket-protocol': 'chat' }), { selectProtocol: () => 'other' })).toThrow(TypeError);
    expect(upgrade(request({ 'sec-websocket-protocol': 'a b' }))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('client handshake', () => {
  it('builds the request headers from a random source', () => {
    const handshake = createClientHandshake({
      host: 'example.com:8080',
      path: '/chat?x=1',
      protocols: ['chat'],
      headers: { Origin: 'http://example.com' },
      random: (bytes) => bytes.fill(7),
    });
    expect(handshake.key).toBe(Buffer.alloc(16, 7).toString('base64'));
    expect(handshake.headers).toEqual([
      ['Host', 'example.com:8080'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', handshake.key],
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Protocol', 'chat'],
      ['Origin', 'http://example.com'],
    ]);
    expect(() => createClientHandshake({ host: 'h', path: '/', protocols: ['a', 'a'], random })).toThrow(TypeError);
    expect(() => createClientHandshake({ host: 'h', path: '/', headers: { 'Sec-WebSocket-Key': 'x' }, random })).toThrow(
      TypeError,
    );
  });

  it('round-trips with the server and validates the response', () => {
    const handshake = createClientHandshake({ host: 'h', path: '/', protocols: ['a', 'b'], random });
    const result = upgrade(handshake.headers, { selectProtocol: (offered) => offered[1] });
    if (!result.ok) throw new Error(result.reason);
    expect(acceptClientHandshake(handshake, 101, result.headers)).toEqual({ protocol: 'b', extensions: [] });

    const expectError = (status: number, headers: [string, string][], pattern: RegExp): void => {
      let error: unknown;
      try {
        acceptClientHandshake(handshake, status, headers);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as Error).message).toMatch(pattern);
    };
    expectError(200, result.headers, /200/);
    expectError(
      101,
      result.headers.map(([k, v]) => [k, k === 'Sec-WebSocket-Accept' ? 'x' + v : v]),
      /Accept/,
    );
    expectError(
      101,
      result.headers.map(([k, v]) => [k, k === 'Sec-WebSocket-Protocol' ? 'c' : v]),
      /not offered/,
    );
    expectError(101, [...result.headers, ['Sec-WebSocket-Extensions', 'permessage-deflate']], /not offered/);
    expectError(
      101,
      result.headers.filter(([k]) => k !== 'Upgrade'),
      /Upgrade/,
    );
  });
});

describe('header helpers', () => {
  it('headerPairs flattens every accepted shape to [name, value] pairs in order', () => {
    const record = { Host: 'a', 'X-Many': ['1', '2'], Skipped: undefined };
    expect(headerPairs(record)).toEqual([
      ['Host', 'a'],
      ['X-Many', '1'],
      ['X-Many', '2'],
    ]);
    expect(
      headerPairs([
        ['Host', 'a'],
        ['X-Many', '1'],
        ['x-many', '2'],
      ]),
    ).toEqual([
      ['Host', 'a'],
      ['X-Many', '1'],
      ['x-many', '2'],
    ]);
    expect(headerPairs(new Map([['Host', 'a']]))).toEqual([['Host', 'a']]);
    expect(headerPairs(new Headers({ Host: 'a' }))).toEqual([['host', 'a']]);
  });

  it('reads only own properties of a record', () => {
    const record = Object.create({ Inherited: 'x' }) as Record<string, string>;
    record['Own'] = 'y';
    expect(headerPairs(record)).toEqual([['Own', 'y']]);
    expect(getHeaderValues(record, 'inherited')).toEqual([]);
  });

  it('getHeaderValues matches names case-insensitively and keeps each occurrence', () => {
    expect(getHeaderValues({ 'X-A': ['1', '2'], 'x-b': '3' }, 'x-a')).toEqual(['1', '2']);
    expect(
      getHeaderValues(
        [
          ['X-A', '1'],
          ['x-a', '2'],
        ],
        'X-A',
      ),
    ).toEqual(['1', '2']);
  });

  it('isToken accepts exactly non-empty runs of RFC 7230 tchar', () => {
    expect(isToken("!#$%&'*+-.^_`|~09AZaz")).toBe(true);
    for (const bad of ['', 'a b', 'a,b', 'a;b', 'a"b', 'a\u00e9', 'a\n', '(x)'])
      expect(isToken(bad), JSON.stringify(bad)).toBe(false);
  });
});

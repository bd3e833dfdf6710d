import { describe, expect, it } from 'vitest';
import {
  acceptExtendedConnect,
  checkExtendedConnectResponse,
  createExtendedConnectRequest,
  type Extension,
  type ExtensionOffer,
  HandshakeError,
  isExtendedConnect,
  type ServerExtensionNegotiator,
} from '../src/index.js';

/** An extended CONNECT as Node's 'stream' event hands it over (a plain object, lower-case names). */
function connectRequest(extra: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':authority': 'example.com',
    ':path': '/chat?room=1',
    'sec-websocket-version': '13',
    origin: 'https://example.com',
    ...extra,
  };
}

function without(name: string): Record<string, string | string[]> {
  const request = connectRequest();
  delete request[name];
  return request;
}

function extension(name: string, log: string[]): Extension {
  return {
    name,
    rsv1: true,
    encode: (data) => ({ data, rsv1: false }),
    decode: (fragments) => fragments[0] ?? new Uint8Array(0),
    dispose: () => void log.push(`dispose ${name}`),
  };
}

describe('server: acceptExtendedConnect', () => {
  it('accepts an extended CONNECT with a 200 that carries no accept value and no upgrade headers', () => {
    const result = acceptExtendedConnect(connectRequest());
    expect(result).toEqual({ ok: true, headers: [], protocol: undefined, extensions: [] });
    expect(isExtendedConnect(connectRequest())).toBe(true);
  });

  it('ignores a Sec-WebSocket-Key the client sent anyway (RFC 8441 section 5 does not use it)', () => {
    const result = acceptExtendedConnect(connectRequest({ 'sec-websocket-key': 'not base64 at all' }));
    expect(result.ok).toBe(true);
  });

  it('negotiates the subprotocol and extensions with lower-case response names', () => {
    const log: string[] = [];
    const seen: ExtensionOffer[][] = [];
    const negotiator: ServerExtensionNegotiator = {
      name: 'x-a',
      accept: (offers) => {
        seen.push([...offers]);
        return { response: offers[0]!, extension: extension('x-a', log) };
      },
    };
    const result = acceptExtendedConnect(
      connectRequest({ 'sec-websocket-protocol': 'one, two', 'sec-websocket-extensions': ['x-a; p=1', 'x-a'] }),
      { selectProtocol: (offered) => offered[1], extensions: [negotiator] },
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.protocol).toBe('two');
    expect(result.headers).toEqual([
      ['sec-websocket-protocol', 'two'],
      ['sec-websocket-extensions', 'x-a; p=1'],
    ]);
    expect(seen).toEqual([
      [
        { name: 'x-a', params: [['p', '1']] },
        { name: 'x-a', params: [] },
      ],
    ]);
    expect(result.extensions.map((e) => e.name)).toEqual(['x-a']);
  });

  it('accepts the header list shape too (pairs, any case)', () => {
    const pairs: [string, string][] = Object.entries(connectRequest()).map(([k, v]) => [k.toUpperCase(), String(v)]);
    expect(acceptExtendedConnect(pairs).ok).toBe(true);
  });

  it.each([
    ['a GET', { ':method': 'GET' }, 405, /extended CONNECT/],
    ['another :protocol', { ':protocol': 'connect-udp' }, 501, /Unsupported :protocol "connect-udp"/],
    ['a version 8 client', { 'sec-websocket-version': '8' }, 400, /expected 13/],
    ['two versions', { 'sec-websocket-version': ['13', '13'] }, 400, /expected 13/],
    ['a bad subprotocol', { 'sec-websocket-protocol': 'a b' }, 400, /Invalid subprotocol/],
    ['a duplicate subprotocol', { 'sec-websocket-protocol': 'a, a' }, 400, /Duplicate subprotocol/],
    ['a malformed extension offer', { 'sec-websocket-extensions': 'x-a;;' }, 400, /./],
  ])('refuses %s', (_name, extra, status, reason) => {
    const result = acceptExtendedConnect(connectRequest(extra), { extensions: [] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('names the method it wants, and the version it speaks, in the refusal headers', () => {
    const method = acceptExtendedConnect(connectRequest({ ':method': 'POST' }));
    expect(method).toMatchObject({ ok: false, status: 405, headers: [['allow', 'CONNECT']] });
    const version = acceptExtendedConnect(without('sec-websocket-version'));
    expect(version).toMatchObject({ ok: false, status: 400, headers: [['sec-websocket-version', '13']] });
  });

  it.each([':protocol', ':scheme', ':path', ':authority'])('refuses a request without %s with 400', (name) => {
    const result = acceptExtendedConnect(without(name));
    expect(result).toMatchObject({ ok: false, status: 400 });
    if (!result.ok) expect(result.reason).toContain(name);
    expect(isExtendedConnect(without(name))).toBe(name !== ':protocol');
  });

  it('takes host in place of :authority', () => {
    const request = without(':authority');
    request.host = 'example.com';
    expect(acceptExtendedConnect(request).ok).toBe(true);
  });

  it('passes on the status a negotiator throws and releases the extensions agreed before it', () => {
    const log: string[] = [];
    const result = acceptExtendedConnect(connectRequest({ 'sec-websocket-extensions': 'x-a, x-b' }), {
      extensions: [
        { name: 'x-a', accept: (offers) => ({ response: offers[0]!, extension: extension('x-a', log) }) },
        {
          name: 'x-b',
          accept: () => {
            throw new HandshakeError(409, 'x-b: no');
          },
        },
      ],
    });
    expect(result).toMatchObject({ ok: false, status: 409, reason: 'x-b: no' });
    expect(log).toEqual(['dispose x-a']);
  });

  it('throws TypeError when selectProtocol picks something not offered', () => {
    expect(() => acceptExtendedConnect(connectRequest({ 'sec-websocket-protocol': 'a' }), { selectProtocol: () => 'b' })).toThrow(
      TypeError,
    );
  });
});

describe('client: createExtendedConnectRequest and checkExtendedConnectResponse', () => {
  const offering = (log: string[]) => ({
    name: 'x-a',
    offer: (): ExtensionOffer[] => [{ name: 'x-a', params: [['mode', 'fast']] }],
    accept: (response: ExtensionOffer): Extension => {
      if (response.params.some(([k]) => k === 'evil')) throw new HandshakeError(400, 'x-a: unacceptable parameter evil');
      return extension('x-a', log);
    },
  });

  it('builds the pseudo-headers, the version and the offers, with lower-case extra headers and no key', () => {
    const request = createExtendedConnectRequest({
      authority: 'example.com:8443',
      path: '/chat',
      scheme: 'https',
      protocols: ['one', 'two'],
      extensions: [offering([])],
      headers: { Origin: 'https://example.com', 'X-Token': 't' },
    });
    expect(request.headers).toEqual([
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', 'example.com:8443'],
      [':path', '/chat'],
      ['sec-websocket-version', '13'],
      ['sec-websocket-protocol', 'one, two'],
      ['sec-websocket-extensions', 'x-a; mode=fast'],
      ['origin', 'https://example.com'],
      ['x-token', 't'],
    ]);
  });

  it('lets a host header set the authority', () => {
    const request = createExtendedConnectRequest({ authority: 'a', path: '/', scheme: 'http', headers: [['Host', 'b']] });
    expect(request.headers).toContainEqual([':authority', 'b']);
    expect(request.headers.some(([name]) => name === 'host')).toBe(false);
  });

  it.each([
    ['sec-websocket-key', /set by the WebSocket handshake/],
    [':path', /set by the WebSocket handshake/],
    ['keep-alive', /connection-specific/],
    ['transfer-encoding', /connection-specific/],
  ])('refuses an extra %s header', (name, message) => {
    expect(() => createExtendedConnectRequest({ authority: 'a', path: '/', scheme: 'https', headers: { [name]: 'x' } })).toThrow(
      message,
    );
  });

  it('refuses invalid and duplicate subprotocols', () => {
    expect(() => createExtendedConnectRequest({ authority: 'a', path: '/', scheme: 'https', protocols: ['a b'] })).toThrow(
      TypeError,
    );
    expect(() => createExtendedConnectRequest({ authority: 'a', path: '/', scheme: 'https', protocols: ['a', 'a'] })).toThrow(
      /Duplicate/,
    );
  });

  it('round-trips with the server side and checks the 200', () => {
    const log: string[] = [];
    const request = createExtendedConnectRequest({
      authority: 'h',
      path: '/',
      scheme: 'http',
      protocols: ['p1', 'p2'],
      extensions: [offering(log)],
    });
    const server = acceptExtendedConnect(request.headers, {
      selectProtocol: (offered) => offered[1],
      extensions: [{ name: 'x-a', accept: (offers) => ({ response: offers[0]!, extension: extension('x-a', log) }) }],
    });
    if (!server.ok) throw new Error(server.reason);
    const result = checkExtendedConnectResponse(request, 200, server.headers);
    expect(result.protocol).toBe('p2');
    expect(result.extensions.map((e) => e.name)).toEqual(['x-a']);
  });

  it('refuses a non-2xx status with the status on the error, and responses it did not offer', () => {
    const request = createExtendedConnectRequest({ authority: 'h', path: '/', scheme: 'http', protocols: ['p1'] });
    for (const status of [101, 400, 501, 503]) {
      let caught: unknown;
      try {
        checkExtendedConnectResponse(request, status, {});
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(HandshakeError);
      expect((caught as HandshakeError).status).toBe(status);
    }
    expect(checkExtendedConnectResponse(request, 204, {}).protocol).toBeUndefined();
    expect(() => checkExtendedConnectResponse(request, 200, { 'sec-websocket-protocol': 'p2' })).toThrow(/not offered/);
    expect(() => checkExtendedConnectResponse(request, 200, { 'sec-websocket-extensions': 'x-a' })).toThrow(/not offered/);
  });
});

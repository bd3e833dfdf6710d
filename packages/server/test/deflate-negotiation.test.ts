import { describe, expect, it } from 'vitest';
import {
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  parseDeflateParams,
  type PerMessageDeflateOptions,
} from '../src/permessage-deflate/index.js';

type Params = [string, string | true][];
const offer = (params: Params = []) => ({ name: 'permessage-deflate', params });
const serverAccept = (offers: Params[], options?: PerMessageDeflateOptions) => {
  const result = new PerMessageDeflateServer(options).accept(offers.map((p) => offer(p)));
  result?.extension.dispose();
  return result?.response.params;
};

describe('parameter parsing (RFC 7692 7.1)', () => {
  it('reads every parameter', () => {
    expect(
      parseDeflateParams(
        [
          ['server_no_context_takeover', true],
          ['client_no_context_takeover', true],
          ['server_max_window_bits', '10'],
          ['client_max_window_bits', true],
        ],
        'offer',
      ),
    ).toEqual({
      ok: true,
      params: {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: true,
      },
    });
  });

  it.each<[Params, string]>([
    [[['server_max_window_bits', '7']], 'needs a value from 8 to 15'],
    [[['server_max_window_bits', '16']], 'needs a value from 8 to 15'],
    [[['server_max_window_bits', '010']], 'needs a value from 8 to 15'],
    [[['server_max_window_bits', '09']], 'needs a value from 8 to 15'],
    [[['server_max_window_bits', ' 9']], 'needs a value from 8 to 15'],
    [[['server_max_window_bits', true]], 'needs a value from 8 to 15'],
    [[['client_max_window_bits', 'x']], 'needs a value from 8 to 15'],
    [[['server_no_context_takeover', 'yes']], 'takes no value'],
    [[['client_no_context_takeover', '1']], 'takes no value'],
    [[['x_custom', true]], 'unknown parameter x_custom'],
    [
      [
        ['server_no_context_takeover', true],
        ['server_no_context_takeover', true],
      ],
      'duplicated parameter',
    ],
    [
      [
        ['client_max_window_bits', true],
        ['client_max_window_bits', '10'],
      ],
      'duplicated parameter',
    ],
  ])('rejects %j', (params, reason) => {
    const result = parseDeflateParams(params, 'offer');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('requires a value for client_max_window_bits in a response only', () => {
    expect(parseDeflateParams([['client_max_window_bits', true]], 'offer').ok).toBe(true);
    expect(parseDeflateParams([['client_max_window_bits', true]], 'response').ok).toBe(false);
  });
});

describe('server negotiation', () => {
  it('accepts a bare offer with an empty response', () => {
    expect(serverAccept([[]])).toEqual([]);
  });

  it("answers a browser's offer without window limits", () => {
    expect(serverAccept([[['client_max_window_bits', true]]])).toEqual([]);
  });

  it('echoes no-context-takeover requests', () => {
    expect(
      serverAccept([
        [
          ['server_no_context_takeover', true],
          ['client_no_context_takeover', true],
        ],
      ]),
    ).toEqual([
      ['server_no_context_takeover', true],
      ['client_no_context_takeover', true],
    ]);
  });

  it('honours server_max_window_bits, lowering it to its own cap', () => {
    expect(serverAccept([[['server_max_window_bits', '10']]])).toEqual([['server_max_window_bits', '10']]);
    expect(serverAccept([[['server_max_window_bits', '12']]], { serverMaxWindowBits: 9 })).toEqual([
      ['server_max_window_bits', '9'],
    ]);
    expect(serverAccept([[]], { serverMaxWindowBits: 11 })).toEqual([['server_max_window_bits', '11']]);
  });

  it('answers client_max_window_bits only when offered, never above the offer', () => {
    expect(serverAccept([[['client_max_window_bits', '12']]])).toEqual([['client_max_window_bits', '12']]);
    expect(serverAccept([[['client_max_window_bits', true]]], { clientMaxWindowBits: 10 })).toEqual([
      ['client_max_window_bits', '10'],
    ]);
    expect(serverAccept([[['client_max_window_bits', '9']]], { clientMaxWindowBits: 12 })).toEqual([
      ['client_max_window_bits', '9'],
    ]);
    expect(serverAccept([[]], { clientMaxWindowBits: 10 })).toEqual([]);
  });

  it('answers 9 for a client window capped at 8 unless the client offered 8 (zlib cannot compress with 8)', () => {
    expect(serverAccept([[['client_max_window_bits', true]]], { clientMaxWindowBits: 8 })).toEqual([
      ['client_max_window_bits', '9'],
    ]);
    expect(serverAccept([[['client_max_window_bits', '8']]], { clientMaxWindowBits: 8 })).toEqual([
      ['client_max_window_bits', '8'],
    ]);
  });

  it('imposes no context takeover when asked to', () => {
    expect(serverAccept([[]], { serverNoContextTakeover: 'request', clientNoContextTakeover: true })).toEqual([
      ['server_no_context_takeover', true],
      ['client_no_context_takeover', true],
    ]);
  });

  it('takes the first acceptable offer of several, skipping invalid ones', () => {
    expect(
      serverAccept([
        [['server_max_window_bits', '20']],
        [['mystery', true]],
        [
          ['client_no_context_takeover', true],
          ['client_no_context_takeover', true],
        ],
        [['server_no_context_takeover', true]],
        [],
      ]),
    ).toEqual([['server_no_context_takeover', true]]);
  });

  it('declines when no offer is acceptable', () => {
    expect(serverAccept([[['server_max_window_bits', true]], [['bogus', '1']]])).toBeUndefined();
  });

  it('declines offers that a refuse option rules out, falling back to the next', () => {
    const options = { serverNoContextTakeover: 'refuse', serverMaxWindowBits: 'refuse' } as const;
    expect(serverAccept([[['server_no_context_takeover', true]]], options)).toBeUndefined();
    expect(serverAccept([[['server_max_window_bits', '10']], []], options)).toEqual([]);
    expect(serverAccept([[['client_max_window_bits', true]]], { clientMaxWindowBits: 'refuse' })).toBeUndefined();
    expect(serverAccept([[['client_no_context_takeover', true]]], { clientNoContextTakeover: 'refuse' })).toBeUndefined();
  });

  it('ignores offers for other extensions', () => {
    const result = new PerMessageDeflateServer().accept([{ name: 'x-webkit-deflate-frame', params: [] }]);
    expect(result).toBeUndefined();
  });

  it('validates options', () => {
    expect(() => new PerMessageDeflateServer({ serverMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ clientMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ threshold: -1 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ level: 10 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ memLevel: 0 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ concurrency: 0 })).toThrow(RangeError);
    expect(() => new PerMessageDeflateServer({ serverNoContextTakeover: 'maybe' as 'accept' })).toThrow(TypeError);
  });
});

describe('server negotiation with shared offers', () => {
  const frozen = (params: Params) =>
    Object.freeze({ name: 'permessage-deflate', params: Object.freeze(params.map((p) => Object.freeze(p))) as Params });

  it('decides once per frozen offer: the same frozen response, a new extension per connection', () => {
    const server = new PerMessageDeflateServer();
    const shared = frozen([['client_max_window_bits', true]]);
    const a = server.accept([shared]);
    const b = server.accept([shared]);
    expect(a && b).toBeTruthy();
    expect(b!.response).toBe(a!.response);
    expect(Object.isFrozen(a!.response) && Object.isFrozen(a!.response.params)).toBe(true);
    expect(b!.extension).not.toBe(a!.extension);
    expect(b!.extension.agreed).toBe(a!.extension.agreed);
    expect(Object.isFrozen(a!.extension.agreed)).toBe(true);
    // An idle connection holds no zlib wrapper or memory until its first compressed message.
    expect(a!.extension.zlibAllocated).toEqual({ deflate: false, inflate: false });
    a!.extension.dispose();
    b!.extension.dispose();
  });

  it('remembers a decline too, and decides afresh for offers that are not frozen', () => {
    const server = new PerMessageDeflateServer({ serverMaxWindowBits: 'refuse' });
    const refused = frozen([['server_max_window_bits', '10']]);
    expect(server.accept([refused])).toBeUndefined();
    expect(server.accept([refused])).toBeUndefined();
    const open = offer([['client_no_context_takeover', true]]);
    const first = server.accept([open]);
    const second = server.accept([open]);
    expect(second!.response).not.toBe(first!.response);
    expect(second!.response).toEqual(first!.response);
    first!.extension.dispose();
    second!.extension.dispose();
  });
});

describe('client negotiation', () => {
  const accept = (params: Params, options?: PerMessageDeflateOptions) => {
    const extension = new PerMessageDeflateClient(options).accept(offer(params));
    extension.dispose();
    return extension.agreed;
  };
  const fails = (params: Params, options?: PerMessageDeflateOptions) =>
    expect(() => new PerMessageDeflateClient(options).accept(offer(params))).toThrow(/unacceptable permessage-deflate response/);

  it('offers what browsers offer by default', () => {
    expect(new PerMessageDeflateClient().offer()).toEqual([offer([['client_max_window_bits', true]])]);
  });

  it('offers each requested parameter', () => {
    expect(
      new PerMessageDeflateClient({
        serverNoContextTakeover: true,
        clientNoContextTakeover: 'request',
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 9,
      }).offer(),
    ).toEqual([
      offer([
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
        ['server_max_window_bits', '10'],
        ['client_max_window_bits', '9'],
      ]),
    ]);
    expect(new PerMessageDeflateClient({ clientMaxWindowBits: 'refuse' }).offer()).toEqual([offer([])]);
  });

  it('accepts every valid response', () => {
    expect(accept([])).toMatchObject({ serverNoContextTakeover: false, clientNoContextTakeover: false });
    expect(
      accept([
        ['server_no_context_takeover', true],
        ['client_no_context_takeover', true],
        ['server_max_window_bits', '8'],
        ['client_max_window_bits', '8'],
      ]),
    ).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 8,
      clientMaxWindowBits: 8,
    });
    expect(accept([['server_max_window_bits', '9']], { serverMaxWindowBits: 10 })).toMatchObject({
      serverMaxWindowBits: 9,
    });
  });

  it('fails invalid responses (section 5: the client must fail the connection)', () => {
    fails([['client_max_window_bits', true]]);
    fails([['server_max_window_bits', '16']]);
    fails([
      ['server_no_context_takeover', true],
      ['server_no_context_takeover', true],
    ]);
    fails([['unknown', true]]);
    fails([['client_no_context_takeover', 'x']]);
  });

  it('fails responses that do not match the offer', () => {
    fails([['client_max_window_bits', '10']], { clientMaxWindowBits: 'refuse' });
    fails([['client_max_window_bits', '12']], { clientMaxWindowBits: 11 });
    fails([['server_max_window_bits', '12']], { serverMaxWindowBits: 11 });
    fails([], { serverMaxWindowBits: 11 });
    fails([], { serverNoContextTakeover: 'request' });
  });

  it('fails responses that a refuse option rules out', () => {
    fails([['server_no_context_takeover', true]], { serverNoContextTakeover: 'refuse' });
    fails([['client_no_context_takeover', true]], { clientNoContextTakeover: 'refuse' });
    fails([['server_max_window_bits', '10']], { serverMaxWindowBits: 'refuse' });
  });
});

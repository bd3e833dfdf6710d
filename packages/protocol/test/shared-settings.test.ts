/**
 * Connections made with one frozen options object share its resolved settings (the memory of an idle
 * connection), and still behave each on its own: its `this`, its limits, its errors.
 */
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionEvent, type ConnectionOptions, FrameDecoder, type FrameSink } from '../src/index.js';
import { settingsOf } from '../src/connection/settings.js';
import { frame } from './helpers.js';

interface Endpoint {
  name: string;
  events: string[];
  written: number;
}

function onEvent(this: Endpoint, event: ConnectionEvent): void {
  this.events.push(
    event.type === 'message' ? `${this.name}:${new TextDecoder().decode(event.data)}` : `${this.name}:${event.type}`,
  );
}

function onWrite(this: Endpoint, chunks: Uint8Array[], done?: (error?: Error) => void): void {
  for (const chunk of chunks) this.written += chunk.length;
  done?.();
}

describe('settings shared by a frozen options object', () => {
  it('are resolved once for a frozen object, and anew for any other', () => {
    const frozen: ConnectionOptions = Object.freeze({ role: 'server', onWrite, onEvent, maxMessageSize: 10 });
    expect(settingsOf(frozen)).toBe(settingsOf(frozen));
    const open: ConnectionOptions = { role: 'server', onWrite, onEvent, maxMessageSize: 10 };
    expect(settingsOf(open)).not.toBe(settingsOf(open));
    // An unfrozen object may change between connections, and its next connection sees the change.
    const first = settingsOf(open);
    open.maxMessageSize = 20;
    expect(first.receiver.maxMessageSize).toBe(10);
    expect(settingsOf(open).receiver.maxMessageSize).toBe(20);
  });

  it('still checks a frozen object, every time', () => {
    const bad = Object.freeze({ role: 'server', onWrite, onEvent, maxFragments: 0 }) as ConnectionOptions;
    expect(() => new Connection(bad)).toThrow(RangeError);
    expect(() => new Connection(bad)).toThrow(RangeError);
  });

  it('gives each connection its own `this`, state and limits', () => {
    const options: ConnectionOptions = Object.freeze({ role: 'server', onWrite, onEvent, maxMessageSize: 5 });
    const a: Endpoint = { name: 'a', events: [], written: 0 };
    const b: Endpoint = { name: 'b', events: [], written: 0 };
    const ca = new Connection(options, a);
    const cb = new Connection(options, b);
    ca.receive(frame({ opcode: 1, payload: 'hi' }));
    cb.receive(frame({ opcode: 1, payload: 'hello' }));
    ca.send('pong', false);
    expect(a.events).toEqual(['a:hi']);
    expect(b.events).toEqual(['b:hello']);
    expect(a.written).toBe(2 + 4);
    expect(b.written).toBe(0);
    // The shared limit applies to each: six bytes is one too many for b, and b alone fails.
    cb.receive(frame({ opcode: 1, payload: 'toolong' }));
    expect(b.events).toEqual(['b:hello', 'b:fail']);
    expect(ca.state).toBe('open');
    expect(cb.state).toBe('closed');
  });

  it('keeps options.thisArg as the default `this`', () => {
    const owner: Endpoint = { name: 'o', events: [], written: 0 };
    const connection = new Connection({ role: 'server', onWrite, onEvent, thisArg: owner });
    connection.receive(frame({ opcode: 1, payload: 'x' }));
    expect(owner.events).toEqual(['o:x']);
  });

  it('share a frozen FrameDecoder options object between decoders, each with its own frame state', () => {
    const options = Object.freeze({ role: 'server' as const, maxPayload: 3 });
    const seen: string[] = [];
    const sink = (name: string): FrameSink => ({
      frameStart: () => true,
      frameData: () => {},
      frameEnd: (payload) => seen.push(`${name}:${payload.length}`),
    });
    const one = new FrameDecoder(options);
    const two = new FrameDecoder(options);
    const whole = frame({ opcode: 2, payload: new Uint8Array(3) });
    one.push(whole.subarray(0, 4), sink('one'));
    two.push(whole, sink('two'));
    one.push(whole.subarray(4), sink('one'));
    expect(seen).toEqual(['two:3', 'one:3']);
    expect(() => new FrameDecoder(options).push(frame({ opcode: 2, payload: new Uint8Array(4) }), sink('x'))).toThrow(
      /exceeds the 3-byte limit/,
    );
  });
});

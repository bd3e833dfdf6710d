/**
 * Every row of the closing handshake's transition table (src/connection/state.ts), driven through the
 * public API: the public `state` at each step, the events in order and the frames written. The rows that
 * only exist while a message waits for an extension (CloseQueued, CloseReceived) use an extension whose
 * encode is resolved by hand.
 */
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionEvent, type EncodedMessage, type Extension } from '../src/index.js';
import { concatBytes, describeEvent, describeWritten, frame } from './helpers.js';

const CLOSE_1000 = [0x03, 0xe8];
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An extension whose encodes wait until `release()`; `disposed` counts dispose() calls. */
function heldEncoder() {
  const waiting: { message: EncodedMessage; resolve: (m: EncodedMessage) => void; reject: (e: unknown) => void }[] = [];
  const state = { disposed: 0 };
  const extension: Extension = {
    name: 'x-held',
    rsv1: false,
    encode: (data) =>
      new Promise<EncodedMessage>((resolve, reject) => {
        waiting.push({ message: { data, rsv1: false }, resolve, reject });
      }),
    decode: (fragments) => concatBytes([...fragments]),
    dispose: () => {
      state.disposed++;
    },
  };
  return {
    extension,
    state,
    release: () => {
      for (const w of waiting.splice(0)) w.resolve(w.message);
    },
    reject: (error: unknown) => {
      for (const w of waiting.splice(0)) w.reject(error);
    },
  };
}

function server(extensions: Extension[] = []) {
  const events: string[] = [];
  const states: string[] = [];
  const writes: Uint8Array[] = [];
  const connection: Connection = new Connection({
    role: 'server',
    extensions,
    onWrite: (chunks, done) => {
      for (const chunk of chunks) writes.push(chunk.slice());
      done?.();
    },
    onEvent: (event: ConnectionEvent) => {
      events.push(describeEvent(event));
      states.push(`${event.type}:${connection.state}`);
    },
  });
  return { connection, events, states, written: () => describeWritten(concatBytes(writes), 'server') };
}

describe('closing handshake states', () => {
  it('Open -> CloseQueued -> CloseSent -> Closed: we close first, the peer answers', () => {
    const s = server();
    expect(s.connection.state).toBe('open');
    s.connection.close(1000);
    expect(s.connection.state).toBe('closing');
    expect(s.written()).toEqual(['close:1000']);
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    expect(s.events).toEqual(['close:1000:', 'closed']);
    // 'close' is reported while still closing; the state turns closed with the 'closed' event.
    expect(s.states).toEqual(['close:closing', 'closed:closed']);
    expect(s.written()).toEqual(['close:1000']);
  });

  it('Open -> (reply written) CloseSent -> Closed: the peer closes first; the reply precedes the close event', () => {
    const s = server();
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    expect(s.written()).toEqual(['close:1000']);
    expect(s.states).toEqual(['close:closing', 'closed:closed']);
  });

  it('CloseQueued -> CloseReceived -> Closed: our close waits behind an encode while the peer closes', async () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    s.connection.send('queued', false);
    s.connection.close(1000);
    expect(s.connection.state).toBe('closing');
    expect(s.written()).toEqual([]);
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    // The peer's close is reported, but 'closed' waits for our own close frame to be written.
    expect(s.events).toEqual(['close:1000:']);
    expect(s.connection.state).toBe('closing');
    held.release();
    await tick();
    expect(s.written()).toEqual(['text:717565756564', 'close:1000']);
    expect(s.states).toEqual(['close:closing', 'closed:closed']);
    expect(held.state.disposed).toBe(1);
  });

  it('Open -> CloseQueued -> CloseReceived -> Closed: the reply to the peer waits behind an encode', async () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    s.connection.send('queued', false);
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    expect(s.events).toEqual(['close:1000:']);
    expect(s.written()).toEqual([]);
    expect(s.connection.send('refused', false)).toBeUndefined();
    held.release();
    await tick();
    expect(s.written()).toEqual(['text:717565756564', 'close:1000']);
    expect(s.events).toEqual(['close:1000:', 'closed']);
    expect(s.connection.state).toBe('closed');
  });

  it('a failure in CloseQueued writes a close frame with its own code, not the queued one', async () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    const done: string[] = [];
    s.connection.send('queued', false, (error) => done.push(error ? 'error' : 'ok'));
    s.connection.close(1000);
    s.connection.receive(frame({ opcode: 1, payload: 'x', mask: null })); // unmasked from a client: 1002
    expect(s.written()).toEqual(['close:1002']);
    expect(s.states).toEqual(['fail:closed']);
    await tick();
    expect(done).toEqual(['error']);
    expect(held.state.disposed).toBe(1);
  });

  it('a failure in CloseSent writes no second close frame', () => {
    const s = server();
    s.connection.close(1000);
    s.connection.receive(frame({ opcode: 1, payload: 'x', mask: null }));
    expect(s.written()).toEqual(['close:1000']);
    expect(s.events).toEqual(['fail:1002']);
    expect(s.connection.state).toBe('closed');
  });

  it('a failure in CloseReceived (the encode ahead of our reply fails) writes the failure code instead', async () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    s.connection.send('queued', false);
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    held.reject(new Error('encoder crashed'));
    await tick();
    expect(s.written()).toEqual(['close:1011']);
    expect(s.events).toEqual(['close:1000:', 'fail:1011']);
    expect(s.connection.state).toBe('closed');
  });

  it('Closed ignores later input and failures; destroy() then releases nothing twice', () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    s.connection.close(1000);
    s.connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    expect(s.events).toEqual(['close:1000:', 'closed']);
    s.connection.receive(frame({ opcode: 1, payload: 'x', mask: null }));
    s.connection.destroy();
    s.connection.destroy();
    expect(s.events).toEqual(['close:1000:', 'closed']);
    expect(s.connection.state).toBe('closed');
    expect(held.state.disposed).toBe(1);
  });

  it('destroy() ends any open state without events and releases extensions once', async () => {
    const held = heldEncoder();
    const s = server([held.extension]);
    const done: string[] = [];
    s.connection.send('queued', false, (error) => done.push(error ? 'error' : 'ok'));
    s.connection.destroy();
    s.connection.destroy();
    expect(s.connection.state).toBe('closed');
    expect(s.connection.ping()).toBe(false);
    held.release();
    await tick();
    expect(s.events).toEqual([]);
    expect(s.written()).toEqual([]);
    expect(done).toEqual(['error']);
    expect(held.state.disposed).toBe(1);
  });

  it('destroy() during the close event: no closed event follows', () => {
    const writes: Uint8Array[] = [];
    const events: string[] = [];
    const connection: Connection = new Connection({
      role: 'server',
      onWrite: (chunks) => {
        for (const chunk of chunks) writes.push(chunk.slice());
      },
      onEvent: (event) => {
        events.push(describeEvent(event));
        if (event.type === 'close') connection.destroy();
      },
    });
    connection.receive(frame({ opcode: 8, payload: CLOSE_1000 }));
    expect(events).toEqual(['close:1000:']);
    expect(describeWritten(concatBytes(writes), 'server')).toEqual(['close:1000']);
    expect(connection.state).toBe('closed');
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@wsts/server';
import { command } from '../../redis/test/helpers/resp.js';
import { type RedisServer, startRedis } from '../../redis/test/helpers/redis-server.js';
import {
  type ChatProcess,
  join,
  killLeftovers,
  type Member,
  refusal,
  runChatToExit,
  startChat,
  until,
  within,
} from './helpers/chat-process.js';

/** How many Redis connections subscribe to room `room` now: one per chat process with members there. */
async function roomSubscribers(redis: RedisServer, room: string): Promise<number> {
  const reply = (await command(redis.port, ['PUBSUB', 'NUMSUB', `wsts:room:${room}`])) as [Buffer, number];
  return reply[1];
}

/** Sends `text` from `from` and waits until every one of `members` has received it once. */
async function say(from: Member, text: string, members: readonly Member[]): Promise<void> {
  from.socket.send(text);
  await until(() => members.every((member) => member.texts().includes(text)), `"${text}" at every member`);
}

const running: ChatProcess[] = [];
async function chat(args: readonly string[]): Promise<ChatProcess> {
  const started = await startChat(args);
  running.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop('SIGKILL')));
});
afterAll(() => killLeftovers());

describe('chat without Redis', { timeout: 30_000 }, () => {
  it('serves the page at / with a policy that runs only its own script, and nothing else over HTTP', async () => {
    const server = await chat(['--port', '0']);
    expect(server.stdout[0]).toBe(`listening on ws://127.0.0.1:${server.port}`);
    const page = await fetch(`${server.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    const html = await page.text();
    for (const id of ['name', 'room', 'messages', 'text']) expect(html).toContain(`id="${id}"`);
    // Network text goes into the page as text only.
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(html).toContain('data-max-message-bytes="4096"');

    const head = await fetch(`${server.origin}/`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const post = await fetch(`${server.origin}/`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${server.origin}/favicon.ico`)).status).toBe(404);
    const plain = await fetch(`${server.origin}/room/lobby`);
    expect([plain.status, plain.headers.get('upgrade')]).toEqual([426, 'websocket']);
  });

  it('delivers a message to every member of its room, the sender included, and to no other room', async () => {
    const server = await chat(['--port', '0']);
    const alice = await join(server.url, 'lobby', 'alice');
    const bob = await join(server.url, 'lobby', 'bob');
    const carol = await join(server.url, 'kitchen', 'carol');
    // Our own client, as a second independent peer.
    const dave = await connect(`${server.url}/room/lobby?name=dave`, { handshakeTimeout: 5_000 });
    const daveMessages = dave.messages();

    await say(alice, 'hello lobby', [alice, bob]);
    await say(bob, 'héllo 😀 <b>not bold</b>', [alice, bob]);
    await say(carol, 'hi kitchen', [carol]);
    const first = await within(daveMessages.next(), 5_000, 'dave 1');
    const second = await within(daveMessages.next(), 5_000, 'dave 2');
    expect(JSON.parse(first.value!.text)).toEqual({ name: 'alice', text: 'hello lobby' });
    expect(JSON.parse(second.value!.text)).toEqual({ name: 'bob', text: 'héllo 😀 <b>not bold</b>' });

    expect(alice.received).toEqual([
      { name: 'alice', text: 'hello lobby' },
      { name: 'bob', text: 'héllo 😀 <b>not bold</b>' },
    ]);
    expect(bob.received).toEqual(alice.received);
    expect(carol.received).toEqual([{ name: 'carol', text: 'hi kitchen' }]);
    // A member without a name is "anonymous".
    const anonymous = await join(server.url, 'kitchen');
    await say(anonymous, 'who am I', [carol, anonymous]);
    expect(carol.received.at(-1)).toEqual({ name: 'anonymous', text: 'who am I' });
    dave.close(1000);
    for (const member of [alice, bob, carol, anonymous]) member.socket.close();
  });

  it('refuses bad rooms and names with the precise reason, and bad messages with their close code', async () => {
    const server = await chat(['--port', '0', '--max-message-bytes', '100']);
    expect(await refusal(`${server.url}/room/${'r'.repeat(65)}`)).toEqual({
      status: 400,
      body: 'room name is 65 characters long; at most 64 are allowed\n',
    });
    expect(await refusal(`${server.url}/room/a.b`)).toEqual({
      status: 400,
      body: 'room name may hold only letters A-Z a-z, digits, "-" and "_"; character 2 is not one of them\n',
    });
    expect((await refusal(`${server.url}/room/caf%C3%A9`)).status).toBe(400);
    expect(await refusal(`${server.url}/room/`)).toEqual({ status: 400, body: 'room name is empty: connect to /room/NAME\n' });
    expect(await refusal(`${server.url}/lobby`)).toEqual({ status: 404, body: 'no such endpoint: rooms are at /room/NAME\n' });
    expect(await refusal(`${server.url}/room/lobby?name=${'n'.repeat(33)}`)).toEqual({
      status: 400,
      body: 'name is 33 characters long; at most 32 are allowed\n',
    });
    expect(await refusal(`${server.url}/room/lobby?name=a%0Ab`)).toEqual({
      status: 400,
      body: 'name holds a control character\n',
    });
    expect(await refusal(`${server.url}/room/lobby?name=%20`)).toEqual({ status: 400, body: 'name is empty\n' });

    const witness = await join(server.url, 'lobby', 'witness');
    const big = await join(server.url, 'lobby', 'big');
    big.socket.send('x'.repeat(101));
    expect((await within(big.closed, 5_000, 'close of the sender of a big message')).code).toBe(1009);
    const binary = await join(server.url, 'lobby', 'binary');
    binary.socket.send(Buffer.from([1, 2, 3]));
    expect(await within(binary.closed, 5_000, 'close of a binary sender')).toEqual({
      code: 1003,
      reason: 'chat messages are text',
    });
    // At the limit is fine, and nothing of the refused messages reached the room.
    await say(witness, 'y'.repeat(100), [witness]);
    expect(witness.texts()).toEqual(['y'.repeat(100)]);
    witness.socket.close();
  });

  it('refuses bad command lines: --workers 2 without --redis, bad numbers, unknown flags', async () => {
    const workers = await runChatToExit(['--port', '0', '--workers', '2']);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain('--workers 2 needs --redis');
    const port = await runChatToExit(['--port', '70000']);
    expect([port.code, port.stderr.split('\n')[0]]).toEqual([2, 'chat: --port must be an integer from 0 to 65535, got "70000"']);
    const unknown = await runChatToExit(['--colour', 'red']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--colour'");
    const redis = await runChatToExit(['--redis', 'http://127.0.0.1:6379']);
    expect([redis.code, redis.stderr.split('\n')[0]]).toEqual([
      2,
      'chat: --redis must be a redis:// or rediss:// URL, got "http://127.0.0.1:6379"',
    ]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} closes every member with 1001 and exits 0`, async () => {
      const server = await chat(['--port', '0']);
      const members = [await join(server.url, 'a'), await join(server.url, 'b')];
      const code = await server.stop(signal);
      expect(code).toBe(0);
      for (const member of members) expect((await within(member.closed, 5_000, 'close')).code).toBe(1001);
    });
  }
});

describe('chat on Redis', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('two chat processes on one Redis share their rooms, both ways, the sender included', async () => {
    const one = await chat(['--port', '0', '--redis', redis.url]);
    const two = await chat(['--port', '0', '--redis', redis.url]);
    const alice = await join(one.url, 'shared', 'alice');
    const bob = await join(two.url, 'shared', 'bob');
    const other = await join(two.url, 'elsewhere', 'other');
    await until(async () => (await roomSubscribers(redis, 'shared')) === 2, 'both processes subscribed to room:shared');
    await say(alice, 'from one', [alice, bob]);
    await say(bob, 'from two', [alice, bob]);
    expect(alice.received).toEqual([
      { name: 'alice', text: 'from one' },
      { name: 'bob', text: 'from two' },
    ]);
    expect(bob.received).toEqual(alice.received);
    expect(other.received).toEqual([]);
    for (const member of [alice, bob, other]) member.socket.close();
  });

  it('--workers 2: members on one port land on both workers and talk across them; SIGTERM stops all, exit 0', async () => {
    const server = await chat(['--port', '0', '--workers', '2', '--redis', redis.url]);
    const members: Member[] = [];
    // node:cluster hands connections to the workers in turn; a few suffice to reach both.
    for (let i = 0; i < 6 && new Set(members.map((member) => member.process)).size < 2; i++) {
      members.push(await join(server.url, 'cluster', `m${i}`));
    }
    const workers = [...new Set(members.map((member) => member.process))];
    expect(workers).toHaveLength(2);
    await until(async () => (await roomSubscribers(redis, 'cluster')) === 2, 'both workers subscribed to room:cluster');
    const onFirst = members.find((member) => member.process === workers[0])!;
    const onSecond = members.find((member) => member.process === workers[1])!;
    await say(onFirst, 'from the first worker', members);
    await say(onSecond, 'from the second worker', members);
    for (const member of members) expect(member.texts()).toEqual(['from the first worker', 'from the second worker']);

    expect(await server.stop('SIGTERM')).toBe(0);
    for (const member of members) expect((await within(member.closed, 5_000, 'close')).code).toBe(1001);
    // No worker outlives the primary.
    for (const pid of workers) expect(() => process.kill(Number(pid), 0)).toThrow();
  });

  it('--workers 2: a worker that dies is replaced and the port keeps serving', async () => {
    const server = await chat(['--port', '0', '--workers', '2', '--redis', redis.url]);
    const first = await join(server.url, 'r', 'first');
    process.kill(Number(first.process), 'SIGKILL');
    expect((await within(first.closed, 5_000, 'close of the killed worker')).code).toBe(1006);
    await until(() => server.stderr().includes('starting a replacement'), 'the replacement notice');
    // The replacement takes connections once it listens: join until both workers answered (bounded).
    const seen = new Set<string>();
    for (let i = 0; i < 50 && seen.size < 2; i++) {
      const member = await join(server.url, 'r', `again${i}`);
      seen.add(member.process);
      member.socket.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.size).toBe(2);
    expect(seen.has(first.process)).toBe(false);
    expect(await server.stop('SIGINT')).toBe(0);
  });
});

import { acceptClientHandshake, Connection, type ConnectionEvent, createClientHandshake, upgrade } from '@wsts/protocol';

/** A server and a client connection talking through memory: no sockets, just bytes passed along. */
export function inMemoryExample(): string[] {
  const log: string[] = [];
  const random = (bytes: Uint8Array): void => void crypto.getRandomValues(bytes);
  const describe = (e: ConnectionEvent): string =>
    e.type === 'message'
      ? `${e.type} ${new TextDecoder().decode(e.data)}`
      : e.type === 'close'
        ? `close ${e.code} ${e.reason}`
        : e.type;

  // Opening handshake: the client's request headers go through upgrade(), the 101 headers come back.
  const request = createClientHandshake({ host: 'localhost', path: '/chat', protocols: ['chat'], random });
  const response = upgrade(request.headers, { selectProtocol: (offered) => offered[0] });
  if (!response.ok) throw new Error(`${response.status} ${response.reason}`);
  log.push(`protocol ${acceptClientHandshake(request, 101, response.headers).protocol}`);

  // Each side's onWrite feeds the other side's receive(); the server echoes every message.
  const server: Connection = new Connection({
    role: 'server',
    onWrite: (chunks) => {
      for (const chunk of chunks) client.receive(chunk);
    },
    onEvent: (event) => {
      log.push(`server ${describe(event)}`);
      if (event.type === 'message') server.send(event.data, event.binary);
    },
  });
  const client: Connection = new Connection({
    role: 'client',
    random,
    onWrite: (chunks) => {
      for (const chunk of chunks) server.receive(chunk);
    },
    onEvent: (event) => log.push(`client ${describe(event)}`),
  });

  client.send('hello', false);
  client.close(1000, 'done');
  return log;
}

import { parseArgs } from 'node:util';

/** Command-line options shared by the example and echo servers. */
export interface ServerArgs {
  port: number;
  host: string;
  deflate: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** `--http2`: serve WebSockets over HTTP/2 (RFC 8441) too. */
  http2: boolean;
}

/**
 * Parses `--port N` (else `PORT`, else `defaultPort`), `--host H`, `--no-deflate`, `--tls-cert FILE`
 * `--tls-key FILE` and `--http2`. Exits with status 2 and a usage line on anything else.
 */
export function parseServerArgs(argv: string[], defaults: { port: number; host: string }, usage: string): ServerArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'no-deflate': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        http2: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help === true) {
      console.log(usage);
      process.exit(0);
    }
    const rawPort = values.port ?? process.env['PORT'] ?? String(defaults.port);
    const port = Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${rawPort}`);
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
      throw new Error('--tls-cert and --tls-key go together');
    }
    return {
      port,
      host: values.host ?? defaults.host,
      deflate: values['no-deflate'] !== true,
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
      http2: values.http2 === true,
    };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
}

/** Formats a host for a URL (IPv6 literals need brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

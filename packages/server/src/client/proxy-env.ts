/**
 * Which proxy, if any, a target URL goes through under `proxy: 'env'`. The convention is the one
 * undici's `EnvHttpProxyAgent` documents, so that one set of variables means the same to `fetch` and to
 * this client:
 * - ws:// uses `http_proxy` / `HTTP_PROXY`; wss:// uses `https_proxy` / `HTTPS_PROXY`, falling back
 *   to the http one when only that is set. The lowercase name wins when both are set; an empty value
 *   counts as unset.
 * - `no_proxy` / `NO_PROXY` (lowercase first) is a comma- or whitespace-separated list. `*` bypasses the
 *   proxy for every host. `example.com` matches that host name exactly; `.example.com` and
 *   `*.example.com` match every name ending in `.example.com`. An entry may end in `:port`, and then
 *   matches only that port (the URL's port, or 80 for ws:// and 443 for wss://). Matching ignores case.
 *   IP addresses match as written (no CIDR ranges, no DNS).
 * @module
 */

/** The environment variables the `'env'` mode reads; a snapshot of them is taken per connection. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

const ENV_NAMES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'] as const;

/** Copies the proxy variables out of `env`, so later changes to `process.env` do not affect a connection. */
export function snapshotProxyEnv(env: ProxyEnv): ProxyEnv {
  const out: Record<string, string | undefined> = {};
  for (const name of ENV_NAMES) out[name] = env[name];
  return out;
}

/** The first of the values that is set and non-empty, with the name it came from. */
function firstSet(env: ProxyEnv, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
  }
  return undefined;
}

/** The proxy variable a scheme reads, before NO_PROXY is applied: `{ name, value }` or undefined. */
export function proxyVariableFor(protocol: string, env: ProxyEnv): { name: string; value: string } | undefined {
  const http = firstSet(env, ['http_proxy', 'HTTP_PROXY']);
  if (protocol === 'wss:' || protocol === 'https:') return firstSet(env, ['https_proxy', 'HTTPS_PROXY']) ?? http;
  return http;
}

/** Bare host name for matching: lowercase, no IPv6 brackets, no trailing dot. */
function bareHost(host: string): string {
  let out = host.toLowerCase();
  if (out.startsWith('[') && out.endsWith(']')) out = out.slice(1, -1);
  if (out.endsWith('.')) out = out.slice(0, -1);
  return out;
}

interface NoProxyEntry {
  readonly host: string;
  /** 0 when the entry names no port (matches any). */
  readonly port: number;
}

/** Splits one NO_PROXY entry into host and port; a bare IPv6 address (several colons) has no port. */
function parseEntry(entry: string): NoProxyEntry {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close !== -1) {
      const rest = entry.slice(close + 1);
      const port = /^:\d+$/.test(rest) ? Number(rest.slice(1)) : 0;
      return { host: bareHost(entry.slice(0, close + 1)), port };
    }
  }
  const colon = entry.lastIndexOf(':');
  if (colon > 0 && entry.indexOf(':') === colon && /^\d+$/.test(entry.slice(colon + 1))) {
    return { host: bareHost(entry.slice(0, colon)), port: Number(entry.slice(colon + 1)) };
  }
  return { host: bareHost(entry), port: 0 };
}

/** Whether `noProxy` says to connect to `hostname:port` directly. */
export function bypassesProxy(hostname: string, port: number, noProxy: string): boolean {
  const entries = noProxy.split(/[\s,]+/).filter((entry) => entry !== '');
  const host = bareHost(hostname);
  for (const raw of entries) {
    if (raw === '*') return true;
    const entry = parseEntry(raw);
    if (entry.port !== 0 && entry.port !== port) continue;
    if (entry.host.startsWith('*.') || entry.host.startsWith('.')) {
      const suffix = entry.host.startsWith('*') ? entry.host.slice(1) : entry.host;
      if (host.endsWith(suffix)) return true;
    } else if (host === entry.host) {
      return true;
    }
  }
  return false;
}

/**
 * The proxy URL text `target` should go through under `proxy: 'env'`, or undefined for a direct
 * connection; `variable` names where it came from, for error messages.
 */
export function proxyFromEnv(target: URL, env: ProxyEnv): { variable: string; value: string } | undefined {
  const chosen = proxyVariableFor(target.protocol, env);
  if (chosen === undefined) return undefined;
  const noProxy = firstSet(env, ['no_proxy', 'NO_PROXY'])?.value ?? '';
  const port = target.port === '' ? (target.protocol === 'wss:' || target.protocol === 'https:' ? 443 : 80) : Number(target.port);
  if (bypassesProxy(target.hostname, port, noProxy)) return undefined;
  return { variable: chosen.name, value: chosen.value };
}

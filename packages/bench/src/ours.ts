/**
 * The slice of @wsts/protocol's contract (docs/architecture.md) the benches drive, loaded at run time.
 *
 * Loaded dynamically rather than imported so the harness builds and runs end to end while the codec is
 * still being written: when a name is missing, the codec benches put `ws` in our slot and mark those rows
 * as placeholders instead of failing the whole run.
 */
export type ConnectionEvent =
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'ping' | 'pong'; data: Uint8Array }
  | { type: 'close'; code: number; reason: string }
  | { type: 'fail'; error: Error }
  | { type: 'closed' };

export interface ConnectionOptions {
  role: 'server' | 'client';
  maxMessageSize?: number;
  random?: (bytes: Uint8Array) => void;
  onWrite: (chunks: Uint8Array[], done?: (error?: Error) => void) => void;
  onEvent: (event: ConnectionEvent) => void;
}

export interface OurConnection {
  receive(bytes: Uint8Array): void;
  send(data: Uint8Array | string, binary: boolean, done?: (error?: Error) => void): void;
  readonly state: 'open' | 'closing' | 'closed';
}

export interface OurProtocol {
  Connection: new (options: ConnectionOptions) => OurConnection;
  applyMask: (data: Uint8Array, mask: Uint8Array, offset?: number) => void;
  isValidUtf8: (bytes: Uint8Array) => boolean;
}

/**
 * Whatever part of the contract our codec exports right now; each bench checks for the names it needs and
 * stands `ws` in for the rest (marking those rows as placeholders).
 */
export async function loadOurProtocol(): Promise<Partial<OurProtocol>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@wsts/protocol')) as Record<string, unknown>;
  } catch {
    return {};
  }
  const found: Partial<OurProtocol> = {};
  if (typeof mod['Connection'] === 'function') found.Connection = mod['Connection'] as OurProtocol['Connection'];
  if (typeof mod['applyMask'] === 'function') found.applyMask = mod['applyMask'] as OurProtocol['applyMask'];
  if (typeof mod['isValidUtf8'] === 'function') found.isValidUtf8 = mod['isValidUtf8'] as OurProtocol['isValidUtf8'];
  return found;
}

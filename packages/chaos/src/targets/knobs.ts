/**
 * The limits a target server is started with, passed on its command line as `--name value` (the names are
 * our server's option names, so the printed knobs read like the code that uses them).
 */
export interface TargetKnobs {
  /** Server-wide bytes for queued output, partial messages and inflate output (ours only). */
  memoryBudget: number;
  /** Per-connection cap on queued output. */
  maxBufferedAmount: number;
  /** Largest incoming message after reassembly and inflate (ws: maxPayload). */
  maxMessageSize: number;
  /** Most frames in one message (ours only). */
  maxFragments: number;
  /** Milliseconds from TCP accept to a complete request head (ws: the HTTP server's headersTimeout). */
  handshakeTimeout: number;
  /** Milliseconds the closing handshake may take (ws: fixed at 30 s, not configurable). */
  closeTimeout: number;
  /** Milliseconds between heartbeat pings; a peer silent for a whole interval is cut. */
  heartbeatInterval: number;
  /** Milliseconds one message may take from its first byte to its last (ours only). */
  messageTimeout: number;
}

export const KNOB_NAMES = [
  'memoryBudget',
  'maxBufferedAmount',
  'maxMessageSize',
  'maxFragments',
  'handshakeTimeout',
  'closeTimeout',
  'heartbeatInterval',
  'messageTimeout',
] as const satisfies readonly (keyof TargetKnobs)[];

/** The command-line form of `knobs`. */
export function knobArgs(knobs: TargetKnobs): string[] {
  return KNOB_NAMES.flatMap((name) => [`--${name}`, String(knobs[name])]);
}

/** Parses `--name value` pairs; every knob is required, so a target never runs on a silent default. */
export function parseKnobArgs(argv: readonly string[]): TargetKnobs {
  const values = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = Number(argv[i + 1]);
    if (!flag.startsWith('--') || !Number.isFinite(value) || value < 0)
      throw new Error(`bad argument ${flag} ${argv[i + 1] ?? ''}`);
    values.set(flag.slice(2), value);
  }
  const read = (name: (typeof KNOB_NAMES)[number]): number => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`missing --${name}`);
    return value;
  };
  return {
    memoryBudget: read('memoryBudget'),
    maxBufferedAmount: read('maxBufferedAmount'),
    maxMessageSize: read('maxMessageSize'),
    maxFragments: read('maxFragments'),
    handshakeTimeout: read('handshakeTimeout'),
    closeTimeout: read('closeTimeout'),
    heartbeatInterval: read('heartbeatInterval'),
    messageTimeout: read('messageTimeout'),
  };
}

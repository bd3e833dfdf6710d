import { isUtf8 } from 'node:buffer';
import type { OurProtocol } from '../ours.js';
import { makeRow, type Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { asciiPayload, mixedUtf8Payload } from '../wire/frames.js';
import { loadCeiling } from './ceiling.js';
import { measure, type Contender, scaledRates } from './measure.js';
import { utf8Validate, wsIsValidUtf8 } from './vendors.js';

export interface Utf8BenchOptions {
  sizes: readonly number[];
  rounds: number;
  roundMs: number;
}

type Validator = (bytes: Buffer) => boolean;

/**
 * Inputs are cycled through a set of distinct texts of at least 256 KiB in all: the same 1 KiB over and
 * over lets the branch predictor learn it by heart (byte-wise validators ran 2x faster on a repeated 1 KiB
 * than on 64 KiB of the same kind of text), which real traffic never allows.
 */
const DISTINCT_BYTES = 256 * 1024;

function contender(id: string, validate: Validator, inputs: readonly Buffer[]): Contender {
  const count = inputs.length;
  return {
    id,
    run(n) {
      let ok = 0;
      for (let i = 0; i < n; i++) if (validate(inputs[i % count]!)) ok++;
      return ok;
    },
  };
}

/**
 * UTF-8 validation in GB/s, ASCII and mixed text: ours against utf-8-validate (the bar: the add-on ws
 * installs for this), Buffer.isUtf8 (what ws 8 actually calls on Node >= 18.14), TextDecoder with
 * fatal: true, and ws's own choice in this process; beside them the scalar-JS ceiling (a loop that only
 * loads every word, see ceiling.ts).
 */
export function runUtf8Benches(protocol: Partial<OurProtocol>, options: Utf8BenchOptions): Row[] {
  const rows: Row[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const viaDecoder: Validator = (bytes) => {
    try {
      decoder.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const ours: Validator = protocol.isValidUtf8 ?? utf8Validate;
  for (const [kind, make] of [
    ['ASCII', asciiPayload],
    ['mixed', mixedUtf8Payload],
  ] as const) {
    for (const size of options.sizes) {
      const inputs = Array.from({ length: Math.max(1, Math.ceil(DISTINCT_BYTES / size)) }, (_, k) => make(size, 100 + k));
      const data = inputs[0]!;
      const validators: [string, Validator][] = [
        ['ours', ours],
        ['utf-8-validate', utf8Validate],
        ['buffer-isutf8', isUtf8],
        ['textdecoder', viaDecoder],
        ['ws', wsIsValidUtf8],
      ];
      // Every validator must accept the input (and ours must reject a corrupted copy) before timing.
      for (const [id, v] of validators)
        for (const input of inputs)
          if (!v(input)) throw new Error(`utf8 ${kind} ${formatSize(size)}: ${id} rejected valid input`);
      const broken = Buffer.from(data);
      broken[broken.length >> 1] = 0xff;
      if (ours(broken)) throw new Error(`utf8 ${kind} ${formatSize(size)}: ours accepted a 0xFF byte`);
      const result = measure([...validators.map(([id, v]) => contender(id, v, inputs)), loadCeiling(inputs)], {
        rounds: options.rounds,
        roundMs: options.roundMs,
        unitsPerIteration: size,
      });
      const { values, samples } = scaledRates(result, 1e9);
      rows.push(
        makeRow({
          section: 'codec: UTF-8 validation',
          case: `${kind} ${formatSize(size)}`,
          metric: 'GB/s',
          better: 'higher',
          bar: 'utf-8-validate',
          values,
          samples,
          placeholder: !protocol.isValidUtf8,
        }),
      );
    }
  }
  return rows;
}

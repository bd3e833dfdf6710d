import { isUtf8 } from 'node:buffer';
import type { OurProtocol } from '../ours.js';
import type { Row } from '../report/row.js';
import { formatSize } from '../report/units.js';
import { asciiPayload, mixedUtf8Payload } from '../wire/frames.js';
import { loadCeiling } from './ceiling.js';
import { gbpsRow } from './gbps-row.js';
import { distinctInputs } from './inputs.js';
import { validateContender } from './loop-contenders.js';
import { utf8Validate, wsIsValidUtf8 } from './vendors.js';

export interface Utf8BenchOptions {
  sizes: readonly number[];
  rounds: number;
  roundMs: number;
}

type Validator = (bytes: Buffer) => boolean;

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
      const inputs = distinctInputs(size, make);
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
      rows.push(
        gbpsRow([...validators.map(([id, v]) => validateContender(id, inputs, v)), loadCeiling(inputs)], size, options, {
          section: 'codec: UTF-8 validation',
          case: `${kind} ${formatSize(size)}`,
          bar: 'utf-8-validate',
          placeholder: !protocol.isValidUtf8,
        }),
      );
    }
  }
  return rows;
}

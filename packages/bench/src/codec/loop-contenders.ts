/** Contenders that run one byte loop (unmask or validate) over prepared inputs, shared by the codec benches. */
import { placedPayload } from './inputs.js';
import type { Contender } from './measure.js';

/**
 * `unmask` over one placed payload of `size` bytes. Unmasking twice restores the input, so one buffer
 * serves every iteration.
 */
export function unmaskContender<M extends Uint8Array>(
  id: string,
  size: number,
  unmask: (data: Buffer, mask: M) => void,
  mask: M,
): Contender {
  const data = placedPayload(size);
  return {
    id,
    run(n) {
      for (let i = 0; i < n; i++) unmask(data, mask);
      return data[0]!;
    },
  };
}

/** `validate` over the inputs in turn; counts the accepted ones so the calls cannot be dropped. */
export function validateContender<T extends Uint8Array>(
  id: string,
  inputs: readonly T[],
  validate: (bytes: T) => boolean,
): Contender {
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

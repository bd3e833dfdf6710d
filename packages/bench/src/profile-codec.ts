/**
 * Child process of `profile`: runs one of our codec paths in a loop for a bounded time, under
 * `node --cpu-prof`, so the profile holds nothing but that path.
 * argv: <decode|encode|encode-masked|utf8-ascii|utf8-mixed|unmask> <size> <ms>
 */
import { decodeInput, ourDecoder, ourEncoder } from './codec/frame-bench.js';
import { loadOurProtocol } from './ours.js';
import { asciiPayload, BENCH_MASK, mixedUtf8Payload } from './wire/frames.js';

const [what = 'decode', sizeArg = '65536', msArg = '3000'] = process.argv.slice(2);
const size = Number(sizeArg);
const ms = Number(msArg);
const protocol = await loadOurProtocol();
if (!protocol.Connection || !protocol.applyMask || !protocol.isValidUtf8) throw new Error('@wsts/protocol is not built');
const { Connection, applyMask, isValidUtf8 } = protocol;

let step: () => void;
switch (what) {
  case 'decode': {
    const d = ourDecoder({ Connection }, decodeInput(size).chunks);
    step = () => d.run(1);
    break;
  }
  case 'encode':
  case 'encode-masked': {
    const e = ourEncoder({ Connection }, asciiPayload(size), what === 'encode-masked');
    step = () => e.run(64);
    break;
  }
  case 'utf8-ascii':
  case 'utf8-mixed': {
    const data = what === 'utf8-ascii' ? asciiPayload(size) : mixedUtf8Payload(size);
    step = () => {
      if (!isValidUtf8(data)) throw new Error('rejected valid input');
    };
    break;
  }
  case 'unmask': {
    const data = asciiPayload(size);
    step = () => applyMask(data, BENCH_MASK);
    break;
  }
  default:
    throw new Error(`unknown codec path "${what}"`);
}
const end = Date.now() + ms;
while (Date.now() < end) for (let i = 0; i < 16; i++) step();

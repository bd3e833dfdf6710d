import type { ChaosCase } from '../case.js';
import { churn } from './churn.js';
import { deadPeers, halfOpen } from './dead-peers.js';
import { deflateBomb } from './deflate-bomb.js';
import { floodCases } from './floods.js';
import { fragmentFlood } from './fragment-flood.js';
import { headerFlood } from './header-flood.js';
import { idleBurst } from './idle-burst.js';
import { lengthLies } from './length-lies.js';
import { randomFrames } from './random-frames.js';
import { slowLoris } from './slow-loris.js';
import { slowReader } from './slow-reader.js';
import { trickle } from './trickle.js';

/** Every case, in the order the suite runs them. */
export const allCases: readonly ChaosCase[] = [
  ...floodCases,
  slowLoris,
  headerFlood,
  lengthLies,
  fragmentFlood,
  deflateBomb,
  slowReader,
  randomFrames,
  churn,
  idleBurst,
  deadPeers,
  halfOpen,
  trickle,
];

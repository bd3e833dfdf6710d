/**
 * Compile-time proof that the built @wsts/protocol satisfies the slice of its contract the benches load
 * at run time (src/ours.ts): if a name or a signature drifts, the bench stops building instead of
 * silently putting `ws` in our slot. Type-only: nothing here exists at run time.
 */
import type * as Protocol from '@wsts/protocol';
import type { OurProtocol } from './ours.js';

type Real = Pick<typeof Protocol, 'Connection' | 'applyMask' | 'isValidUtf8'>;

/** Assignable only when the real package provides everything OurProtocol describes. */
export type ContractHolds = Real extends OurProtocol ? true : never;
const holds: ContractHolds = true;
void holds;

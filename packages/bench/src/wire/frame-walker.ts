import { headerLengthOf, payloadLengthOf } from './frames.js';

/**
 * Hears of each frame once its whole header has arrived, before any of its payload: the header's first
 * byte (FIN, RSV, opcode), second byte (MASK, 7-bit length) and the payload length.
 */
export type FrameHeaderListener = (first: number, second: number, length: number) => void;

/**
 * Hears of each frame once its whole payload has passed (at once, for an empty payload); true when the
 * frame is one the caller counts. The load generators count whole replies this way, one tally per read.
 */
export type FrameEndListener = () => boolean;

/**
 * Walks the frame headers of a byte stream across reads and skips the payloads without reading them:
 * how the client rows' peers count what a client sends, and the echo and fan-out load generators what a
 * server sends back, without decoding it. Headers split anywhere across reads are gathered; a payload is
 * only counted off.
 */
export class FrameWalker {
  private readonly header = new Uint8Array(14);
  /** Header bytes gathered so far, and how many this header has (known from its second byte). */
  private have = 0;
  private need = 2;
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;

  constructor(
    private readonly onHeader: FrameHeaderListener,
    private readonly onEnd?: FrameEndListener,
  ) {}

  /** Walks one read; returns how many frames ended in it for which `onEnd` returned true. */
  push(chunk: Uint8Array): number {
    const n = chunk.length;
    let i = 0;
    let counted = 0;
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0 && this.onEnd?.()) counted++;
        continue;
      }
      const header = this.header;
      header[this.have++] = chunk[i++]!;
      if (this.have === 2) this.need = headerLengthOf(header[1]!);
      if (this.have < 2 || this.have < this.need) continue;
      const length = payloadLengthOf(header);
      this.have = 0;
      this.need = 2;
      this.skip = length;
      this.onHeader(header[0]!, header[1]!, length);
      if (length === 0 && this.onEnd?.()) counted++;
    }
    return counted;
  }
}

/**
 * The receiving half of a connection, as the FrameDecoder's sink: it checks each frame against the
 * message in progress (sequencing, RSV1 on continuations, the size and fragment limits), validates text
 * as it arrives, joins fragments, and hands on whole messages and control frames. The decoder has
 * already enforced every rule a frame header can be checked against on its own.
 * @module
 */

import type { Allocate } from '../bytes/buffers.js';
import { Pieces } from '../bytes/pieces.js';
import { invalidPayload, messageTooBig, policyViolation, protocolViolation } from '../errors.js';
import type { ExtensionPipeline } from '../extensions/pipeline.js';
import { type FrameSink, Opcode, RSV1 } from '../frames/decoder.js';
import { Utf8Validator } from '../text/utf8.js';
import type { Connection } from './connection.js';

/**
 * What a {@link Receiver} checks messages against, taken from the connection's settings: one frozen
 * object shared by every connection made with the same options.
 */
export interface ReceiverLimits {
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly allocate: Allocate;
  readonly validateUtf8: ((bytes: Uint8Array) => boolean) | undefined;
}

/**
 * The limit for a message's on-the-wire size when RSV1 says an extension will transform it: deflate can
 * expand incompressible data slightly (5 bytes per 64 KiB stored block); this allows for it.
 */
function transformedLimit(max: number): number {
  return max === Infinity ? Infinity : max + Math.ceil(max / 4096) + 64;
}

/**
 * One connection's message assembly. Violations are thrown as ProtocolError, which stops the decoder
 * and fails the connection. Whole messages go to the connection (or, with extensions, to the pipeline
 * to be decoded first); control frames go to the connection as they arrive, between fragments too.
 */
export class Receiver implements FrameSink {
  /**
   * Undefined when no extension was negotiated, and then text is validated frame by frame as it
   * arrives; with one, payloads may be transformed, so text is validated once decoded. That choice is
   * read from here rather than kept in a field of its own: each field costs every idle connection 8 bytes.
   */
  private readonly pipeline: ExtensionPipeline | undefined;
  /** Created with the first text message. */
  private utf8: Utf8Validator | undefined = undefined;

  // Current frame.
  private frameOpcode = 0;
  private frameFin = false;
  private frameLength = 0;

  // Current message.
  /** Opcode of the message in progress (TEXT/BINARY), 0 when none. */
  private messageOpcode = 0;
  private messageRsv1 = false;
  private messageSize = 0;
  /** Frames of the message in progress so far. */
  private messageFrames = 0;
  /** Payloads of the earlier frames of a fragmented message (created with the first fragmented message). */
  private fragments: Pieces | undefined = undefined;

  constructor(
    private readonly connection: Connection,
    private readonly limits: ReceiverLimits,
    pipeline: ExtensionPipeline | undefined,
  ) {
    this.pipeline = pipeline;
  }

  /** Bytes of the earlier fragments of the message in progress. */
  get bufferedBytes(): number {
    return this.fragments?.length ?? 0;
  }

  /** True from a data message's first frame to its last. */
  get receivingMessage(): boolean {
    return this.messageOpcode !== 0;
  }

  /** Drops the fragments held (the connection failed or was destroyed). */
  dropFragments(): void {
    this.fragments?.reset();
  }

  /** Returns whether frameData is needed: only for text validated as it arrives. */
  frameStart(fin: boolean, rsv: number, opcode: number, length: number): boolean {
    this.frameOpcode = opcode;
    this.frameFin = fin;
    this.frameLength = length;
    if (opcode >= 8) return false; // control frames: the decoder has checked everything they need
    if (opcode === Opcode.CONTINUATION) {
      if (this.messageOpcode === 0) throw protocolViolation('Continuation frame without a message in progress');
      if ((rsv & RSV1) !== 0) throw protocolViolation('RSV1 set on a continuation frame');
      if (++this.messageFrames > this.limits.maxFragments)
        throw policyViolation(`Message arrives in more than ${this.limits.maxFragments} frames`);
    } else {
      if (this.messageOpcode !== 0) throw protocolViolation('New data frame while a fragmented message is in progress');
      this.messageOpcode = opcode;
      this.messageRsv1 = (rsv & RSV1) !== 0;
      this.messageSize = 0;
      this.messageFrames = 1;
      if (opcode === Opcode.TEXT && this.pipeline === undefined) (this.utf8 ??= new Utf8Validator()).reset();
    }
    const limit = this.messageRsv1 ? transformedLimit(this.limits.maxMessageSize) : this.limits.maxMessageSize;
    if (this.messageSize + length > limit) {
      throw messageTooBig(`Message exceeds the ${this.limits.maxMessageSize}-byte limit`);
    }
    return this.messageOpcode === Opcode.TEXT && this.pipeline === undefined;
  }

  frameData(chunk: Uint8Array): void {
    if (this.frameOpcode >= 8 || this.messageOpcode !== Opcode.TEXT || this.pipeline !== undefined) return;
    const whole = this.limits.validateUtf8;
    if (whole !== undefined && this.frameOpcode === Opcode.TEXT && this.frameFin && chunk.length === this.frameLength) {
      // The whole message in one piece: nothing to fail early on, so the (native) whole-buffer check.
      if (!whole(chunk)) throw invalidPayload('Invalid UTF-8 in a text message');
      return;
    }
    if (this.utf8!.push(chunk) !== -1) throw invalidPayload('Invalid UTF-8 in a text message');
  }

  frameEnd(payload: Uint8Array): void {
    const opcode = this.frameOpcode;
    if (opcode >= 8) {
      this.connection.receivedControl(opcode, payload);
      return;
    }
    this.messageSize += payload.length;
    if (!this.frameFin) {
      (this.fragments ??= new Pieces(this.limits.allocate)).push(payload);
      return;
    }
    const binary = this.messageOpcode === Opcode.BINARY;
    this.messageOpcode = 0;
    const fragments = this.fragments !== undefined && this.fragments.length > 0 ? this.fragments : undefined;
    fragments?.push(payload);
    const pipeline = this.pipeline;
    if (pipeline === undefined) {
      if (!binary && !this.utf8!.end()) throw invalidPayload('Text message ends inside a UTF-8 sequence');
      this.connection.receivedMessage(binary, fragments ? fragments.join() : payload);
      return;
    }
    pipeline.decode(fragments ? fragments.take() : [payload], this.messageRsv1, binary, this.messageSize);
  }
}

import { Duplex } from 'node:stream';

/** Two in-memory Duplex ends: what one writes, the other reads. No net.Socket features at all. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        ends[1 - index]!.push(chunk);
        callback();
      },
      final(callback) {
        ends[1 - index]!.push(null);
        callback();
      },
    });
  ends.push(make(0), make(1));
  return [ends[0]!, ends[1]!];
}

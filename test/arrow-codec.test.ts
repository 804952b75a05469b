// The capture's LZ4 codec (src/capture/arrow-codec.ts): written by lz4-napi, read by lz4js. Every kind of frame the
// writer makes (one block, several 4 MB blocks, incompressible blocks stored raw, empty) decodes to its input.
import { describe, expect, it } from 'vitest';
import * as A from '../src/capture/arrow.js'; // the program's one Arrow (its CommonJS build): the registry the codec fills
import '../src/capture/arrow-codec.js';

const codec = A.compressionRegistry.get(A.CompressionType.LZ4_FRAME)!;

/** Bytes that compress (repeating records with a counter) or not (a xorshift stream). */
function bytes(n: number, compressible: boolean): Uint8Array {
  const out = new Uint8Array(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    if (compressible) out[i] = i % 64 < 8 ? (i >> 6) & 0xff : i % 7;
    else { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  }
  return out;
}

describe('LZ4 frames of the capture codec', () => {
  const cases: [string, number, boolean][] = [
    ['empty', 0, true], ['one byte', 1, true], ['one 64 KiB block', 65_536, true], ['several 4 MB blocks', 9_000_001, true],
    ['incompressible (blocks stored raw)', 300_000, false],
  ];
  for (const [name, n, compressible] of cases) {
    it(`${name}: decodes to the bytes encoded`, () => {
      const data = bytes(n, compressible);
      const frame = codec.encode!(data);
      if (n > 100_000) expect(frame.length < n).toBe(compressible);
      const back = codec.decode!(frame);
      expect(back.length).toBe(n);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    });
  }
});

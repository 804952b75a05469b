// Registers LZ4 frame compression for Arrow IPC bodies (the Arrow-standard LZ4_FRAME codec). Captures are written
// compressed (about 5x smaller: columnar event data is repetitive) and any Arrow reader with LZ4 reads them.
// Imported for its side effect by the batch writer and the capture reader.
import * as A from './arrow.js';
import { compressFrameSync } from 'lz4-napi';
import { decompress } from 'lz4js';

const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, {
  encode: (d) => compressFrameSync(asBuffer(d)),
  // Decoded in JavaScript (lz4js): lz4-napi's decompressFrameSync (and its async twin) never frees what it returns
  // (lz4-napi issue #678, open), so every batch read leaked its decoded size: 160 MB per million events in replay
  // and in every analysis, 1.6 GB at 10 M. lz4js costs about 0.9 CPU-s more per million events (bench/analyze.mjs).
  decode: (d) => decompress(d),
});

export const CAPTURE_COMPRESSION = A.CompressionType.LZ4_FRAME;

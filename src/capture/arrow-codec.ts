// Registers LZ4 frame compression for Arrow IPC bodies (the Arrow-standard LZ4_FRAME codec). Captures are written
// compressed (about 5x smaller: columnar event data is repetitive) and any Arrow reader with LZ4 reads them.
// Imported for its side effect by the batch writer and the capture reader.
import * as A from './arrow.js';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';

const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

A.compressionRegistry.set(A.CompressionType.LZ4_FRAME, {
  encode: (d) => compressFrameSync(asBuffer(d)),
  decode: (d) => decompressFrameSync(asBuffer(d)),
});

export const CAPTURE_COMPRESSION = A.CompressionType.LZ4_FRAME;

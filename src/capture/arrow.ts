// Apache Arrow for the whole program, loaded with require() (the package's CommonJS build, same sources and exports)
// instead of its ESM build: Node links ~150 ES modules one by one, 0.25-0.3 CPU-s against about half that, paid by
// every import, record, replay and uncached analysis before it reads a line. (The single-file Arrow.es2015.min.js
// loads in 0.03 s but its minifier renamed option names: `compressionType` was ignored and batches came out
// uncompressed.) Every module takes Arrow from here: a second copy would share neither its classes nor the LZ4 codec.
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import type { Dictionary as Dict, Int as IntT, TypeMap } from 'apache-arrow';

const AR = createRequire(import.meta.url)('apache-arrow') as typeof Arrow;

export type * from 'apache-arrow';
export const {
  CompressionType, Data, DataType, Dictionary, Field, FixedSizeList, Int, Int32, RecordBatch, RecordBatchReader,
  RecordBatchStreamWriter, Schema, Struct, Uint8, Uint16, Uint32, Uint64, Utf8, Vector, compressionRegistry, makeData,
  makeVector, tableFromIPC, tableToIPC, vectorFromArray,
} = AR;
// The classes above are types too (a local const hides the type of the same name that `export type *` brings).
export type CompressionType = Arrow.CompressionType;
export type Data<T extends Arrow.DataType = Arrow.DataType> = Arrow.Data<T>;
export type DataType<T extends Arrow.Type = Arrow.Type, C extends TypeMap = any> = Arrow.DataType<T, C>;
export type Dictionary<T extends Arrow.DataType = any, K extends Dict['indices'] = Dict['indices']> = Arrow.Dictionary<T, K>;
export type Field<T extends Arrow.DataType = any> = Arrow.Field<T>;
export type FixedSizeList<T extends Arrow.DataType = any> = Arrow.FixedSizeList<T>;
export type Int<T extends IntT['TType'] = IntT['TType']> = Arrow.Int<T>;
export type Int32 = Arrow.Int32;
export type RecordBatch<T extends TypeMap = any> = Arrow.RecordBatch<T>;
export type RecordBatchReader<T extends TypeMap = any> = Arrow.RecordBatchReader<T>;
export type RecordBatchStreamWriter<T extends TypeMap = any> = Arrow.RecordBatchStreamWriter<T>;
export type Schema<T extends TypeMap = any> = Arrow.Schema<T>;
export type Struct<T extends TypeMap = any> = Arrow.Struct<T>;
export type Uint8 = Arrow.Uint8;
export type Uint16 = Arrow.Uint16;
export type Uint32 = Arrow.Uint32;
export type Uint64 = Arrow.Uint64;
export type Utf8 = Arrow.Utf8;
export type Vector<T extends Arrow.DataType = any> = Arrow.Vector<T>;

// DuckDB's node API, loaded with require() rather than an ESM import. Imported as ESM, Node first lexes every one of
// its ~60 CommonJS files for their named exports: 0.47 CPU-s against 0.19 s by require (measured on the 2-core VM),
// paid by every analysis command before it reads a byte. Same module object either way; types come from the package.
import { createRequire } from 'node:module';
import type * as Duck from '@duckdb/node-api';

const duck = createRequire(import.meta.url)('@duckdb/node-api') as typeof Duck;

export const { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBInstance, StatementType, listValue } = duck;
export type DuckDBAppender = Duck.DuckDBAppender;
export type DuckDBConnection = Duck.DuckDBConnection;
export type DuckDBDataChunk = Duck.DuckDBDataChunk;
export type DuckDBInstance = Duck.DuckDBInstance;
export type StatementType = Duck.StatementType;
export type { DuckDBValue } from '@duckdb/node-api';

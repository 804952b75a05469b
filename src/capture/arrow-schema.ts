// The explicit Arrow schema of an events batch, from the columns of event-schema.ts: used by the encoder
// (batch-writer.ts) and the capture reader, never by the parsers (they stay free of the Arrow package).
import * as A from './arrow.js';
import { COLUMNS, SCHEMA_VERSION, type ColumnKind } from './event-schema.js';

export function arrowType(kind: ColumnKind, dictId: number): A.DataType {
  switch (kind) {
    case 'u8': return new A.Uint8();
    case 'u16': return new A.Uint16();
    case 'u32': return new A.Uint32();
    case 'i32': return new A.Int32();
    case 'u64': return new A.Uint64();
    case 'utf8': return new A.Utf8();
    case 'dict': return new A.Dictionary(new A.Utf8(), new A.Int32(), dictId, false);
    case 'cb5': return new A.FixedSizeList(5, new A.Field('item', new A.Uint32(), false));
  }
}

/** The explicit Arrow schema of an events batch. Never inferred from data. */
export function eventArrowSchema(): A.Schema {
  let dictId = 0;
  const fields = COLUMNS.map((c) => new A.Field(c.name, arrowType(c.kind, c.kind === 'dict' ? dictId++ : -1), c.name !== 'line_no' && c.name !== 'skb' && c.name !== 'func' && c.name !== 'layout'));
  const meta = new Map([['skbtape.schema_version', String(SCHEMA_VERSION)]]);
  return new A.Schema(fields, meta);
}

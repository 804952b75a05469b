// Interns byte ranges of printable ASCII into strings without decoding them first: the same bytes give the same
// string object (and id) every time, so a value repeated on most lines costs one hash and one compare. Each id can
// carry what a caller derived from the string once (a pid, an ifindex, parsed tuple parts). Bounded: cleared when full.
// Only printable ASCII (0x20..0x7e) is interned: any other byte makes intern() return -1, in the same pass as the hash.
export class ByteInterner<T = unknown> {
  private slots: Int32Array;
  private hashes: number[] = [];
  readonly strings: string[] = [];
  /** Per id: what the caller derived from the string (undefined until it does). */
  readonly info: (T | undefined)[] = [];
  /** Bumped at each clear(): an id means the same string only within one generation (the writer's code caches). */
  gen = 0;
  /** Hash and free slot of the last find() that missed. */
  private lastHash = 0;
  private lastFree = 0;

  constructor(private readonly maxEntries = 1 << 15) {
    this.slots = new Int32Array(1024);
  }

  /** The id of buf[s, e), added when new; -1 when a byte is not printable ASCII. */
  intern(buf: Uint8Array, s: number, e: number): number {
    const found = this.find(buf, s, e);
    if (found !== -1) return found < 0 ? -1 : found;
    if (this.strings.length >= this.maxEntries) {
      this.clear();
      this.find(buf, s, e);
    } else if ((this.strings.length + 1) * 2 > this.slots.length) {
      this.grow();
      this.find(buf, s, e);
    }
    const id = this.strings.length;
    this.strings.push(Buffer.prototype.latin1Slice.call(buf, s, e) as string);
    this.hashes.push(this.lastHash);
    this.info.push(undefined);
    this.slots[this.lastFree] = id + 1;
    return id;
  }

  /** The id of buf[s, e); -1 when it was never interned, -2 when a byte is not printable ASCII. */
  find(buf: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5;
    let bad = 0;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      bad |= (c - 0x20) | (0x7e - c); // negative (sign bit set) for a byte outside 0x20..0x7e
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (bad < 0) return -2;
    const mask = this.slots.length - 1;
    const len = e - s;
    let at = h & mask;
    for (;;) {
      const slot = this.slots[at]!;
      if (slot === 0) break;
      const id = slot - 1;
      if (this.hashes[id] === h) {
        const str = this.strings[id]!;
        if (str.length === len) {
          let k = 0;
          while (k < len && str.charCodeAt(k) === buf[s + k]) k++;
          if (k === len) return id;
        }
      }
      at = (at + 1) & mask;
    }
    this.lastHash = h;
    this.lastFree = at;
    return -1;
  }

  /** Twice the slots, at most half of them used: probes stay short. */
  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.strings.length; id++) {
      let at = this.hashes[id]! & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = id + 1;
    }
    this.slots = slots;
  }

  private clear(): void {
    this.gen++;
    this.slots = new Int32Array(1024);
    this.hashes = [];
    this.strings.length = 0;
    this.info.length = 0;
  }
}

// A set of 64-bit skb addresses in one typed array (open addressing): 16 bytes an address at most, where a
// Set<bigint> costs several times that. Distinct skbs grow with capture length; this keeps that growth small.
export class SkbSet {
  private table = new BigUint64Array(1 << 12);
  private used = new Uint8Array(1 << 12);
  size = 0;

  add(v: bigint): void {
    if ((this.size + 1) * 2 > this.table.length) this.grow();
    const mask = this.table.length - 1;
    // Kernel pointers differ mostly in bits 6..30: fold them into the slot index.
    let i = Number((v >> 6n) ^ (v >> 20n)) & mask;
    while (this.used[i]) {
      if (this.table[i] === v) return;
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.table[i] = v;
    this.size++;
  }

  *values(): Generator<bigint> {
    for (let i = 0; i < this.table.length; i++) if (this.used[i]) yield this.table[i]!;
  }

  toArray(): BigUint64Array {
    const out = new BigUint64Array(this.size);
    let k = 0;
    for (let i = 0; i < this.table.length; i++) if (this.used[i]) out[k++] = this.table[i]!;
    return out;
  }

  private grow(): void {
    const old = this.table;
    const oldUsed = this.used;
    this.table = new BigUint64Array(old.length * 2);
    this.used = new Uint8Array(old.length * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i++) if (oldUsed[i]) this.add(old[i]!);
  }
}

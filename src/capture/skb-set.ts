// A set of 64-bit skb addresses in one typed array (open addressing): 8 bytes an address plus a flag byte, where a
// Set<bigint> costs several times that. Distinct skbs grow with capture length; this keeps that growth small.
// Addresses are kept as two uint32 halves, so the byte-level import path adds them without making a BigInt.
export class SkbSet {
  private table = new Uint32Array(2 << 12);
  private used = new Uint8Array(1 << 12);
  size = 0;

  add(v: bigint): void {
    this.addHiLo(Number(v >> 32n), Number(v & 0xffffffffn));
  }

  addHiLo(hi: number, lo: number): void {
    if ((this.size + 1) * 2 > this.used.length) this.grow();
    const mask = this.used.length - 1;
    // Kernel pointers differ mostly in bits 6..30: fold them into the slot index.
    let i = ((lo >>> 6) ^ (lo >>> 20) ^ hi) & mask;
    const t = this.table;
    while (this.used[i]) {
      if (t[2 * i] === lo && t[2 * i + 1] === hi) return;
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    t[2 * i] = lo;
    t[2 * i + 1] = hi >>> 0;
    this.size++;
  }

  *values(): Generator<bigint> {
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) yield (BigInt(this.table[2 * i + 1]!) << 32n) | BigInt(this.table[2 * i]!);
  }

  toArray(): BigUint64Array {
    const out = new BigUint64Array(this.size);
    let k = 0;
    for (const v of this.values()) out[k++] = v;
    return out;
  }

  private grow(): void {
    const old = this.table;
    const oldUsed = this.used;
    this.table = new Uint32Array(old.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    this.size = 0;
    for (let i = 0; i < oldUsed.length; i++) if (oldUsed[i]) this.addHiLo(old[2 * i + 1]!, old[2 * i]!);
  }
}

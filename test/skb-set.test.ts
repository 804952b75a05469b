// SkbSet against a plain Set<bigint> on realistic kernel addresses, through several resizes.
import { expect, it } from 'vitest';
import { SkbSet } from '../src/capture/skb-set.js';

it('counts distinct 64-bit addresses exactly, across resizes', () => {
  const s = new SkbSet();
  const ref = new Set<bigint>();
  let x = 12345;
  for (let i = 0; i < 50_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const v = 0xffff888100000000n + BigInt((x % 20_000) * 256);
    s.add(v);
    ref.add(v);
  }
  s.add(0n);
  ref.add(0n);
  expect(s.size).toBe(ref.size);
  expect(new Set(s.toArray())).toEqual(ref);
  expect(new Set(s.values())).toEqual(ref);
});

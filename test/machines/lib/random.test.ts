import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { nextRandom } from '../../../machines/lib/random.ts';

/** The published mulberry32 (Tommy Ettinger), as a closure: the oracle for the pure one-step form. */
const mulberry32 = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

describe('nextRandom', () => {
  it('produces the same sequence from a seed as it always has (event logs replay their jitter)', () => {
    let state = 7;
    const values: number[] = [];
    for (let i = 0; i < 3; i++) {
      const next = nextRandom(state);
      values.push(next.value);
      state = next.state;
    }
    expect(values.map((v) => v.toFixed(12))).toMatchInlineSnapshot(`
      [
        "0.011704753153",
        "0.061958257575",
        "0.976907632779",
      ]
    `);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 32 - 1 })])('matches mulberry32 step by step and stays in [0, 1)', (seed) => {
    const reference = mulberry32(seed);
    let state = seed;
    for (let i = 0; i < 5; i++) {
      const next = nextRandom(state);
      expect(next.value).toBe(reference());
      expect(next.value).toBeGreaterThanOrEqual(0);
      expect(next.value).toBeLessThan(1);
      expect(Number.isInteger(next.state) && next.state >= 0 && next.state < 2 ** 32).toBe(true);
      state = next.state;
    }
  });
});

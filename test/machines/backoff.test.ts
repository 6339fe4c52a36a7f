import { describe, expect, it } from 'vitest';
import { backoffDelay, type BackoffPolicy } from '../../machines/lib/backoff.ts';
import { nextRandom } from '../../machines/lib/random.ts';

const policy: BackoffPolicy = { baseDelayMs: 500, maxDelayMs: 5_000, jitter: 0.5 };

describe('backoffDelay', () => {
  it('starts at baseDelayMs and doubles per attempt when the draw cuts nothing', () => {
    const delays = [0, 1, 2, 3].map((attempt) => backoffDelay(policy, attempt, 0, 0));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('stops at maxDelayMs however many attempts were made', () => {
    expect(backoffDelay(policy, 4, 0, 0)).toBe(5_000);
    expect(backoffDelay(policy, 1_000, 0, 0)).toBe(5_000);
    expect(backoffDelay(policy, 1_000, 5_000, 0.99)).toBe(5_000);
  });

  it('cuts at most the jitter fraction of the exponential delay', () => {
    expect(backoffDelay(policy, 1, 0, 0.5)).toBe(750);
    expect(backoffDelay(policy, 1, 0, 0.999_999)).toBe(500);
    expect(backoffDelay({ ...policy, jitter: 0 }, 1, 0, 0.9)).toBe(1_000);
  });

  it('never comes sooner than the previous delay', () => {
    expect(backoffDelay(policy, 2, 1_900, 0.9)).toBe(1_900);
    expect(backoffDelay(policy, 0, 3_000, 0)).toBe(3_000);
  });
});

describe('nextRandom', () => {
  it('is a pure function of its state', () => {
    expect(nextRandom(42)).toEqual(nextRandom(42));
    expect(nextRandom(42).value).not.toBe(nextRandom(43).value);
  });

  it('draws values in [0, 1) spread evenly over the interval', () => {
    let state = 1;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const draw = nextRandom(state);
      state = draw.state;
      expect(draw.value).toBeGreaterThanOrEqual(0);
      expect(draw.value).toBeLessThan(1);
      buckets[Math.floor(draw.value * 10)]!++;
    }
    for (const n of buckets) expect(n).toBeGreaterThan(850);
  });

  it('keeps its state a uint32 so snapshots stay plain JSON', () => {
    let state = 0xffff_ffff;
    for (let i = 0; i < 100; i++) {
      state = nextRandom(state).state;
      expect(Number.isInteger(state) && state >= 0 && state <= 0xffff_ffff).toBe(true);
    }
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { backoffDelay } from '../../machines/lib/backoff.ts';
import { ConnectionHarness } from './support/connection-harness.ts';

const policyArb = fc
  .record({ baseDelayMs: fc.integer({ min: 1, max: 5_000 }), extra: fc.integer({ min: 0, max: 120_000 }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ baseDelayMs, extra, jitter }) => ({ baseDelayMs, maxDelayMs: baseDelayMs + extra, jitter }));

const drawArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff properties', () => {
  test.prop([policyArb, fc.array(drawArb, { minLength: 1, maxLength: 60 })], { numRuns: 300 })(
    'never exceeds the cap and never decreases from one attempt to the next',
    (policy, draws) => {
      let previous = 0;
      draws.forEach((draw, attempt) => {
        const delay = backoffDelay(policy, attempt, previous, draw);
        expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
        expect(delay).toBeGreaterThanOrEqual(previous);
        // The jitter only cuts: never below (1 - jitter) of the capped exponential delay.
        const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(exp * (1 - policy.jitter)));
        previous = delay;
      });
    },
  );

  type Failure = { kind: 'refused' } | { kind: 'timeout' } | { kind: 'open'; forMs: number };
  const failureArb: fc.Arbitrary<Failure> = fc.oneof(
    fc.constant({ kind: 'refused' as const }),
    fc.constant({ kind: 'timeout' as const }),
    fc.integer({ min: 0, max: 20_000 }).map((forMs) => ({ kind: 'open' as const, forMs })),
  );

  test.prop(
    [
      fc.array(failureArb, { minLength: 1, maxLength: 25 }),
      fc.record({ baseDelayMs: fc.integer({ min: 10, max: 1_000 }), factor: fc.integer({ min: 1, max: 64 }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.integer(),
    ],
    { numRuns: 150 },
  )('announces reconnect delays that are bounded and non-decreasing until an open period longer than healthyAfterMs', (failures, p, seed) => {
    const healthyAfterMs = 10_000;
    const maxDelayMs = p.baseDelayMs * p.factor;
    const h = new ConnectionHarness({
      policy: { baseDelayMs: p.baseDelayMs, maxDelayMs, jitter: p.jitter, healthyAfterMs, connectTimeoutMs: 3_000, idleTimeoutMs: 1_000_000, staleAfterMs: 1_000_000 },
      seed,
    });
    h.send({ type: 'connection.start' });
    let previous = 0;
    for (const [i, failure] of failures.entries()) {
      if (failure.kind === 'refused') h.drop();
      else if (failure.kind === 'timeout') h.advance(3_000);
      else {
        h.opened();
        h.advance(failure.forMs);
        h.drop();
      }
      const facts = h.facts('connection.reconnecting');
      expect(facts).toHaveLength(i + 1);
      const { delayMs, at } = facts[i]!;
      expect(delayMs).toBeLessThanOrEqual(maxDelayMs);
      if (failure.kind === 'open' && failure.forMs >= healthyAfterMs) expect(delayMs).toBeLessThanOrEqual(p.baseDelayMs);
      else expect(delayMs).toBeGreaterThanOrEqual(previous);
      previous = delayMs;
      // The delay announced is the delay waited.
      h.advance(delayMs);
      expect(h.of('open').at(-1)).toEqual({ kind: 'open', gen: i + 2, at: at + delayMs });
    }
  });
});

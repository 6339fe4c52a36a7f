/**
 * Pure parts of the runtime: config resolution against a strategy's JSON Schema, the export check, error
 * serialisation across the worker boundary, and latency percentiles.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type JsonSchema } from '../../src/strategy/config.ts';
import { ReadOnlyQueryError } from '../../src/strategy/errors.ts';
import { LatencyRecorder } from '../../src/strategy/latency.ts';
import { deserializeError, serializeError } from '../../src/strategy/protocol.ts';
import { strategyProblem } from '../../src/strategy/strategy.ts';

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['symbol'],
  properties: {
    symbol: { type: 'string' },
    fast: { type: 'integer', minimum: 1, default: 3 },
    side: { enum: ['long', 'short'], default: 'long' },
    limits: { type: 'object', properties: { max: { type: 'number', exclusiveMaximum: 10, default: 5 } }, default: {} },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

describe('resolveConfig', () => {
  it('fills defaults, nested ones too, without touching given values', () => {
    expect(resolveConfig(schema, { symbol: 'BTCUSDT', fast: 7 })).toEqual({
      ok: true, config: { symbol: 'BTCUSDT', fast: 7, side: 'long', limits: { max: 5 }, },
    });
  });

  it('names every problem by its path', () => {
    const result = resolveConfig(schema, { fast: 1.5, side: 'flat', limits: { max: 10 }, tags: ['a', 2], other: true });
    expect(result).toEqual({
      ok: false,
      problems: [
        'config.symbol: is required',
        'config.fast: must be an integer',
        'config.side: must be one of "long", "short"',
        'config.limits.max: must be < 10',
        'config.tags[1]: must be of type string',
        'config.other: is not a known property',
      ],
    });
  });

  it('accepts any object without a schema and refuses a config that is not an object', () => {
    expect(resolveConfig(undefined, undefined)).toEqual({ ok: true, config: {} });
    expect(resolveConfig(undefined, [1])).toEqual({ ok: false, problems: ['config: must be an object'] });
  });

  it('does not share default objects between resolutions', () => {
    const a = resolveConfig(schema, { symbol: 'A' });
    const b = resolveConfig(schema, { symbol: 'B' });
    if (!a.ok || !b.ok) throw new Error('expected both to resolve');
    expect(a.config.limits).not.toBe(b.config.limits);
  });
});

describe('strategyProblem', () => {
  it('accepts the strategy shape and names what is missing otherwise', () => {
    const ok = { name: 's', initialize() {}, processData() {} };
    expect(strategyProblem(ok)).toBeUndefined();
    expect(strategyProblem(undefined)).toMatch(/no default export/);
    expect(strategyProblem({ ...ok, name: '' })).toBe('`name` must be a non-empty string');
    expect(strategyProblem({ ...ok, processData: 1 })).toBe('`processData` must be a function');
    expect(strategyProblem({ ...ok, configSchema: 'x' })).toBe('`configSchema` must be a JSON Schema object');
  });
});

describe('error serialisation', () => {
  it('keeps name, message, stack and reason of a tagged error, and survives JSON', () => {
    const original = new ReadOnlyQueryError({ reason: 'not_select', message: 'nope' });
    const wire = JSON.parse(JSON.stringify(serializeError(original)));
    expect(wire).toMatchObject({ name: 'ReadOnlyQueryError', message: 'nope', reason: 'not_select' });
    const rebuilt = deserializeError(wire) as Error & { reason?: string };
    expect(rebuilt).toBeInstanceOf(Error);
    expect([rebuilt.name, rebuilt.message, rebuilt.reason, rebuilt.stack]).toEqual(['ReadOnlyQueryError', 'nope', 'not_select', original.stack]);
  });

  it('turns thrown non-errors into messages', () => {
    expect(serializeError('plain')).toEqual({ name: 'NonError', message: 'plain' });
    expect(serializeError({ a: 1 })).toEqual({ name: 'NonError', message: '{"a":1}' });
  });
});

describe('LatencyRecorder', () => {
  it('reports nearest-rank percentiles and the maximum', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 100; ms++) recorder.record(ms);
    expect(recorder.summary()).toEqual({ count: 100, sum: 5050, p50: 50, p99: 99, max: 100 });
    expect(new LatencyRecorder().summary()).toEqual({ count: 0, sum: 0, p50: 0, p99: 0, max: 0 });
  });

  it('keeps the all-time maximum when the window has moved on', () => {
    const recorder = new LatencyRecorder(4);
    [500, 1, 2, 3, 4].forEach((ms) => recorder.record(ms));
    expect(recorder.summary()).toEqual({ count: 5, sum: 510, p50: 2, p99: 4, max: 500 });
  });

  test.prop([fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 })])(
    'orders p50 <= p99 <= max, all taken from the samples',
    (samples) => {
      const recorder = new LatencyRecorder(256);
      samples.forEach((s) => recorder.record(s));
      const { p50, p99, max, count } = recorder.summary();
      expect(count).toBe(samples.length);
      expect(p50).toBeLessThanOrEqual(p99);
      expect(p99).toBeLessThanOrEqual(max);
      expect(samples).toContain(p50);
      expect(max).toBe(Math.max(...samples));
    },
  );
});

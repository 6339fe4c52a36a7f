/**
 * The strategy runtime with real worker threads: loading (and refusing to load), failures on bars (throw,
 * timeout, out of memory, exit, uncaught), the skip and stop policies, statistics, and stopping.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StrategyLoadError } from '../../src/strategy/errors.ts';
import type { BarOutcome, StrategyEvent } from '../../src/strategy/events.ts';
import { restartBackoff, startStrategy, type StrategyRunner, type StrategyRunnerOptions } from '../../src/strategy/runtime.ts';
import { bar, fakeServices, marked, type FakeServices } from './helpers.ts';

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', `${name}.strategy.ts`);
const runners: StrategyRunner[] = [];

const start = async (path: string, options: Partial<StrategyRunnerOptions> = {}, services: FakeServices = fakeServices()) => {
  const events: StrategyEvent[] = [];
  // 1 s: the sandbox on a loaded 2-core machine can take a few hundred ms for a bar that does nothing much.
  const runner = await startStrategy(path, { services, budgetMs: 1_000, onEvent: (e) => events.push(e), ...options });
  runners.push(runner);
  return { runner, services, events };
};

/**
 * A latency stopwatch that moves `stepMs` each time the strategy marks something, and stands still otherwise: a
 * bar's measured latency is then exactly the marks made between sending it and its outcome, times `stepMs`.
 */
const markStopwatch = (services: FakeServices, stepMs: number): (() => number) => {
  let t = 0;
  const mark = services.mark;
  services.mark = (name, value) => {
    t += stepMs;
    return mark(name, value);
  };
  return () => t;
};

const feed = async (runner: StrategyRunner, count: number): Promise<BarOutcome[]> => {
  const outcomes: BarOutcome[] = [];
  for (let i = 0; i < count; i++) outcomes.push(await runner.processBar(bar(i)));
  return outcomes;
};

const loadError = async (promise: Promise<unknown>): Promise<StrategyLoadError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StrategyLoadError);
  return error as StrategyLoadError;
};

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

describe('loading', () => {
  it('loads the example strategy and fills its config from the schema defaults', async () => {
    const { runner } = await start('examples/ma-cross.strategy.ts', { config: { slow: 10 } });
    expect(runner.name).toBe('ma-cross');
    expect(runner.config).toEqual({ fast: 3, slow: 10, quantity: 0.01 });
    expect(runner.configSchema?.properties?.fast?.default).toBe(3);
    expect(runner.state).toBe('running');
  });

  it('rejects a config that does not match the schema, naming the path and the field', async () => {
    const error = await loadError(startStrategy('examples/ma-cross.strategy.ts', { services: fakeServices(), config: { fast: 0, extra: 1 } }));
    expect(error.stage).toBe('config');
    expect(error.message).toContain('examples/ma-cross.strategy.ts');
    expect(error.message).toContain('config.fast: must be >= 1');
    expect(error.message).toContain('config.extra: is not a known property');
  });

  it('loads a plain JavaScript strategy exported as `strategy`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strategy-'));
    try {
      const path = join(dir, 'plain.strategy.mjs');
      writeFileSync(path, 'export const strategy = { name: "plain", initialize() {}, processData(bar, api) { api.mark("close", bar.close); } };\n');
      const { runner, services } = await start(path);
      expect(await runner.processBar(bar(0, 123))).toMatchObject({ status: 'ok' });
      expect(marked(services, 'close')).toEqual([123]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a module with a syntax error, naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strategy-'));
    try {
      const path = join(dir, 'broken.strategy.ts');
      writeFileSync(path, 'export default { name: "broken", initialize() {}, processData( {} };\n');
      const error = await loadError(startStrategy(path, { services: fakeServices() }));
      expect(error.stage).toBe('import');
      expect(error.message).toContain(path);
      expect(error.message).toMatch(/SyntaxError|Unexpected|Expected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a module without a strategy export, naming the path', async () => {
    const error = await loadError(startStrategy(fixture('no-export'), { services: fakeServices() }));
    expect(error.stage).toBe('export');
    expect(error.message).toBe(`strategy ${fixture('no-export')}: no valid strategy export: the module has no default export or \`strategy\` export that is an object`);
  });

  it('rejects a strategy whose initialize throws, with its message and stack', async () => {
    const error = await loadError(startStrategy(fixture('init-throws'), { services: fakeServices() }));
    expect(error.stage).toBe('initialize');
    expect(error.message).toContain('init-throws.strategy.ts: initialize threw: missing API key for the signal feed');
    expect(error.causeStack).toContain('init-throws.strategy.ts');
  });

  it('rejects a path that does not exist without starting a worker', async () => {
    const error = await loadError(startStrategy('nowhere/missing.strategy.ts', { services: fakeServices() }));
    expect(error.stage).toBe('not_found');
    expect(error.message).toMatch(/strategy \/.*nowhere\/missing\.strategy\.ts: file not found/);
  });
});

describe('failures on bars', () => {
  it('reports a strategy that fails on every bar as a few events a second, counting the others as repeated', async () => {
    let now = 0;
    const { runner, events } = await start(fixture('throws-always'), { failureEvents: 5, now: () => now });
    const outcomes = await feed(runner, 50);
    // Every bar's outcome names its failure, and the stats count every one.
    expect(outcomes.every((o) => o.status === 'failed')).toBe(true);
    expect(runner.stats()).toMatchObject({ barsFailed: 50, failures: 50 });
    // The burst (twice the rate) is reported one by one; the rest wait for the budget.
    const failures = () => events.flatMap((e) => (e.type === 'strategy.failed' ? [e] : []));
    expect(failures()).toHaveLength(10);
    expect(failures().every((e) => e.repeated === undefined)).toBe(true);
    now += 1_000;
    await feed(runner, 1);
    expect(failures()).toHaveLength(11);
    expect(failures().at(-1)).toMatchObject({ reason: 'threw', repeated: 40 });
  });

  it('reports a throw on every tenth bar with its stack and processes every other bar', async () => {
    const { runner, services, events } = await start(fixture('throws-every-10th'));
    const outcomes = await feed(runner, 25);
    const failed = outcomes.flatMap((o, i) => (o.status === 'failed' ? [{ i, o }] : []));
    expect(failed.map((f) => f.i)).toEqual([9, 19]);
    for (const { i, o } of failed) {
      if (o.status !== 'failed') throw new Error('unreachable');
      expect(o.failure).toMatchObject({ type: 'strategy.failed', strategy: 'throws-every-10th', reason: 'threw', message: `boom on bar ${i + 1}`, barKey: o.barKey });
      expect(o.failure.stack).toContain('throws-every-10th.strategy.ts');
      expect(JSON.parse(JSON.stringify(o.failure))).toEqual(o.failure);
    }
    expect(events).toEqual(failed.map((f) => (f.o.status === 'failed' ? f.o.failure : undefined)));
    expect(marked(services, 'seen')).toHaveLength(23);
    expect(runner.stats()).toMatchObject({ state: 'running', barsProcessed: 25, barsFailed: 2, barsTimedOut: 0, restarts: 0, failures: 2 });
  });

  it('terminates a strategy that loops forever and carries on with a fresh worker under policy skip', async () => {
    const services = fakeServices();
    const stopwatch = markStopwatch(services, 1);
    const { runner, events } = await start(fixture('loops-forever'), { config: { loopAt: bar(2).openTime }, stopwatch }, services);
    const outcomes = await feed(runner, 5);
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'failed', 'ok', 'ok']);
    expect(outcomes[2]).toMatchObject({ failure: { reason: 'timeout', message: 'processData exceeded the 1000 ms budget', barKey: outcomes[2]?.barKey } });
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.restarted']);
    expect(events[1]).toEqual({ type: 'strategy.restarted', strategy: 'loops-forever', restarts: 1, after: 'timeout' });
    expect(marked(services, 'initialized')).toHaveLength(2);
    expect(marked(services, 'seen')).toEqual([0, 1, 3, 4].map((i) => bar(i).openTime));
    const stats = runner.stats();
    expect(stats).toMatchObject({ barsProcessed: 5, barsFailed: 1, barsTimedOut: 1, restarts: 1 });
    // Each bar done took one mark of stopwatch time; the one that timed out counts as the whole budget.
    expect(outcomes.map((o) => ('latencyMs' in o ? o.latencyMs : undefined))).toEqual([1, 1, 1_000, 1, 1]);
    expect(stats.latencyMs).toMatchObject({ p50: 1, max: 1_000 });
  });

  it('halts after a timeout under policy stop and refuses every further bar', async () => {
    const { runner, events } = await start(fixture('loops-forever'), { config: { loopAt: bar(2).openTime }, onError: 'stop' });
    const outcomes = await feed(runner, 5);
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'failed', 'refused', 'refused']);
    expect(outcomes[3]).toMatchObject({ reason: 'halted' });
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.halted']);
    expect(runner.stats()).toMatchObject({ state: 'halted', barsProcessed: 3, barsRefused: 2, restarts: 0 });
  });

  it('halts on the first throw under policy stop', async () => {
    const { runner, events } = await start(fixture('throws-every-10th'), { onError: 'stop' });
    const outcomes = await feed(runner, 12);
    expect(outcomes.map((o) => o.status)).toEqual([...Array(9).fill('ok'), 'failed', 'refused', 'refused']);
    expect(events.at(-1)).toEqual({ type: 'strategy.halted', strategy: 'throws-every-10th', reason: 'threw', message: 'boom on bar 10' });
  });

  it('reports a strategy that allocates without bound as oom and restarts it', async () => {
    const { runner, events } = await start(fixture('leaks-memory'), { budgetMs: 50_000, sandboxMemoryMb: 32 });
    const outcomes = await feed(runner, 3);
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'failed', 'ok']);
    expect(outcomes[1]).toMatchObject({ failure: { reason: 'oom', message: expect.stringContaining('ran out of memory (limit 32 MB)') } });
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.restarted']);
  }, 60_000);

  it('raises a sandbox memory limit below 32 MB to 32 MB', async () => {
    const { runner } = await start(fixture('leaks-memory'), { budgetMs: 50_000, sandboxMemoryMb: 8 });
    const outcomes = await feed(runner, 2);
    expect(outcomes[0]!.status).toBe('ok');
    expect(outcomes[1]).toMatchObject({ failure: { reason: 'oom', message: expect.stringContaining('ran out of memory (limit 32 MB)') } });
  }, 60_000);

  it('reports a trusted strategy that allocates without bound as oom and restarts it', async () => {
    const { runner, events } = await start(fixture('leaks-memory'), { budgetMs: 20_000, maxOldGenerationSizeMb: 32, isolation: 'trusted' });
    const outcomes = await feed(runner, 3);
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'failed', 'ok']);
    expect(outcomes[1]).toMatchObject({ failure: { reason: 'oom', message: expect.stringContaining('ran out of memory (limit 32 MB)') } });
    expect(events.map((e) => e.type)).toEqual(['strategy.failed', 'strategy.restarted']);
  });

  it('reports a sandboxed strategy that calls process.exit as a throw: there is no process', async () => {
    const { runner } = await start(fixture('exits'));
    const outcomes = await feed(runner, 1);
    expect(outcomes[0]).toMatchObject({ status: 'failed', failure: { reason: 'threw', message: expect.stringContaining('process') } });
  });

  it('backs off restarts in a row, and a stop during the backoff neither waits for it nor restarts', async () => {
    const asked: number[] = [];
    const { runner, events } = await start(fixture('exits'), { isolation: 'trusted', restartDelayMs: (n) => { asked.push(n); return n >= 2 ? 600_000 : 0; } });
    await feed(runner, 1);
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'strategy.restarted')).toHaveLength(1), { timeout: 30_000 });
    const second = runner.processBar(bar(1));
    await vi.waitFor(() => expect(asked).toEqual([1, 2]), { timeout: 30_000 });
    expect(runner.state).toBe('restarting');
    await runner.stop();
    expect(await second).toMatchObject({ status: 'failed', failure: { reason: 'exited' } });
    expect(events.filter((e) => e.type === 'strategy.restarted')).toHaveLength(1);
    expect(runner.state).toBe('stopped');
  });

  it('restarts at once after the first failure, then waits longer each time in a row, up to 30 s', () => {
    expect([1, 2, 3, 4, 9, 20].map(restartBackoff)).toEqual([0, 250, 500, 1_000, 30_000, 30_000]);
  });

  it('reports a trusted strategy that exits its worker as exited', async () => {
    const { runner, events } = await start(fixture('exits'), { isolation: 'trusted', restartDelayMs: () => 0 });
    const outcomes = await feed(runner, 2);
    expect(outcomes.map((o) => (o.status === 'failed' ? o.failure.reason : o.status))).toEqual(['exited', 'exited']);
    expect(outcomes[0]).toMatchObject({ failure: { message: "the strategy's worker exited with code 3" } });
    // The restart after the last failure runs in the background, before the next bar is taken.
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'strategy.restarted')).toHaveLength(2), { timeout: 30_000 });
  });

  it('reports an error thrown outside processData and keeps the stream going', async () => {
    const { runner, services, events } = await start(fixture('uncaught'));
    const outcomes = await feed(runner, 3);
    expect(outcomes.every((o) => o.status === 'ok')).toBe(true);
    await vi.waitFor(() => expect(events).toHaveLength(3));
    expect(events[0]).toMatchObject({ type: 'strategy.failed', reason: 'threw', message: `uncaught: late failure after ${bar(0).openTime}` });
    expect(marked(services, 'seen')).toHaveLength(3);
    expect(runner.stats()).toMatchObject({ state: 'running', failures: 3, barsFailed: 0, restarts: 0 });
  });
});

describe('lifecycle', () => {
  it('hands bars over one at a time, in order, even when sent together', async () => {
    const services = fakeServices();
    const stopwatch = markStopwatch(services, 20);
    const { runner } = await start(fixture('slow'), { config: { delayMs: 20 }, stopwatch }, services);
    const outcomes = await Promise.all([0, 1, 2].map((i) => runner.processBar(bar(i))));
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
    expect(marked(services, 'done')).toEqual([0, 1, 2].map((i) => bar(i).openTime));
    // Timed from handing each bar over, not from queueing: every bar spans its own mark only (queued: 20, 40, 60).
    expect(outcomes.map((o) => ('latencyMs' in o ? o.latencyMs : undefined))).toEqual([20, 20, 20]);
    expect(runner.stats().latencyMs).toMatchObject({ p50: 20, max: 20 });
  });

  it('lets the bar in hand finish on stop, refuses the queued ones, then stops the worker', async () => {
    const { runner, services } = await start(fixture('slow'), { config: { delayMs: 80 } });
    const inHand = runner.processBar(bar(0));
    const queued = runner.processBar(bar(1));
    await vi.waitFor(() => expect(runner.stats().barsProcessed).toBe(1));
    await runner.stop();
    expect(await inHand).toMatchObject({ status: 'ok' });
    expect(await queued).toMatchObject({ status: 'refused', reason: 'stopped' });
    expect(await runner.processBar(bar(2))).toMatchObject({ status: 'refused', reason: 'stopped' });
    expect(marked(services, 'done')).toEqual([bar(0).openTime]);
    expect(runner.state).toBe('stopped');
  });

  it('bounds stop by the budget when the bar in hand never finishes', async () => {
    const { runner } = await start(fixture('loops-forever'), { config: { loopAt: bar(0).openTime }, budgetMs: 150 });
    const inHand = runner.processBar(bar(0));
    await vi.waitFor(() => expect(runner.stats().barsProcessed).toBe(1));
    // No wall-clock bound here: a stop that waited for the endless bar would never resolve and the test would time out.
    await runner.stop();
    expect(await inHand).toMatchObject({ status: 'failed', failure: { reason: 'timeout' } });
    expect(runner.stats().restarts).toBe(0);
  });
});

/**
 * The strategy's thread yields the CPU to the host: on Linux it runs at a lower priority (a higher nice value)
 * than the host's threads, sandboxed or trusted. Read from /proc, where each thread of this process lists its
 * own nice value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStrategy, type StrategyRunner } from '../../src/strategy/runtime.ts';
import { DEFAULT_STRATEGY_NICE } from '../../src/strategy/thread-priority.ts';
import { fakeServices } from './helpers.ts';

const HOST_API = join(import.meta.dirname, 'fixtures', 'host-api.strategy.ts');
const runners: StrategyRunner[] = [];
afterEach(async () => { await Promise.all(runners.splice(0).map((r) => r.stop())); });

/** Nice value of every thread of this process (field 19 of /proc/self/task/<tid>/stat, after the command name). */
const niceOf = (tid: string | number): number[] => {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
  } catch {
    return []; // the thread ended between the listing and the read
  }
};
const niceValues = (): number[] => readdirSync('/proc/self/task').flatMap(niceOf);
const atNice = (nice: number): number => niceValues().filter((n) => n === nice).length;

describe.runIf(process.platform === 'linux')('the strategy thread\'s priority', () => {
  for (const isolation of ['sandbox', 'trusted'] as const) {
    it(`runs a ${isolation} strategy's thread at nice ${DEFAULT_STRATEGY_NICE} and leaves the host's threads as they were`, async () => {
      const before = atNice(DEFAULT_STRATEGY_NICE);
      // The process's main thread has the process id as its thread id.
      const ownNice = niceOf(process.pid)[0];
      const runner = await startStrategy(HOST_API, { services: fakeServices(), isolation, config: { symbol: 'BTCUSDT' } });
      runners.push(runner);
      expect(atNice(DEFAULT_STRATEGY_NICE)).toBe(before + 1);
      expect(niceOf(process.pid)[0]).toBe(ownNice);
      await runner.stop();
      expect(atNice(DEFAULT_STRATEGY_NICE)).toBe(before);
    });
  }

  it('leaves the strategy\'s thread at the host\'s priority with nice 0, and takes another value as given', async () => {
    const base = niceValues();
    const same = await startStrategy(HOST_API, { services: fakeServices(), nice: 0, config: { symbol: 'BTCUSDT' } });
    runners.push(same);
    expect(niceValues().filter((n) => n !== 0).length).toBe(base.filter((n) => n !== 0).length);
    const before = atNice(19);
    const lowest = await startStrategy(HOST_API, { services: fakeServices(), nice: 19, config: { symbol: 'BTCUSDT' } });
    runners.push(lowest);
    expect(atNice(19)).toBe(before + 1);
  });
});

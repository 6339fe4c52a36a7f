/**
 * Host API round trips through a real worker: what the strategy passes reaches the host services, what the
 * services return (or throw) reaches the strategy, and one-way calls never fail a bar.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDuckDBData, type DuckDBDataService } from '../../src/strategy/duckdb-data.ts';
import type { StrategyEvent } from '../../src/strategy/events.ts';
import type { StrategyHostServices } from '../../src/strategy/host-api.ts';
import { startStrategy, type StrategyRunner } from '../../src/strategy/runtime.ts';
import { bar, fakeServices, marked, type FakeServices } from './helpers.ts';

const HOST_API = join(import.meta.dirname, 'fixtures', 'host-api.strategy.ts');
const cleanups: (() => Promise<void> | void)[] = [];

const start = async (overrides: Partial<StrategyHostServices> = {}) => {
  const services: FakeServices = fakeServices(overrides);
  const events: StrategyEvent[] = [];
  const runner: StrategyRunner = await startStrategy(HOST_API, { services, budgetMs: 2_000, onEvent: (e) => events.push(e) });
  cleanups.push(() => runner.stop());
  return { runner, services, events };
};

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('host API', () => {
  it('delivers every call to the host services and every result back to the strategy', async () => {
    const { runner, services } = await start();
    expect(await runner.processBar(bar(5, 101))).toMatchObject({ status: 'ok' });
    const args = (method: string) => services.calls.filter((c) => c.method === method).map((c) => c.args);
    expect(args('log')[0]).toEqual(['info', 'initialized', { symbol: 'BTCUSDT' }]);
    expect(args('subscribeRealtime')).toEqual([[['BTCUSDT', 'ETHUSDT'], '1m']]);
    expect(args('placeOrder')).toEqual([[{ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.5, reason: 'test' }]]);
    expect(args('getOrderStatus')).toEqual([['o1']]);
    expect(args('cancelOrder')).toEqual([['o1']]);
    expect(args('getRange')).toEqual([['BTCUSDT', 0, bar(5).openTime, '1m']]);
    expect(args('readLastData')).toEqual([['BTCUSDT']]);
    expect(args('executeSQL')).toEqual([['SELECT $1::INTEGER AS n', [7]], ['DROP TABLE t']]);
    expect(marked(services, 'results')).toEqual([{
      orderId: 'o1', positions: 1, cash: 10_000, open: 0, status: 'filled', cancelled: 'cancelled',
      range: 0, last: 42, rows: '[{"n":7}]',
    }]);
  });

  it('degrades log data that cannot cross threads to its JSON form instead of failing the bar', async () => {
    const { runner, services } = await start();
    expect(await runner.processBar(bar(0))).toMatchObject({ status: 'ok' });
    const last = services.calls.filter((c) => c.method === 'log').at(-1);
    expect(last?.args).toEqual(['debug', 'bar done', { key: bar(0).openTime }]);
  });

  it('rejects the strategy call with the service error name, message and reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strategy-sql-'));
    const instance = await DuckDBInstance.create(join(dir, 'session.duckdb'));
    const data: DuckDBDataService = await openDuckDBData({ instance });
    cleanups.push(() => { instance.closeSync(); rmSync(dir, { recursive: true, force: true }); }, () => data.close());
    const { runner, services } = await start({ executeSQL: data.executeSQL });
    expect(await runner.processBar(bar(0))).toMatchObject({ status: 'ok' });
    expect(marked(services, 'results')[0]).toMatchObject({ rows: '[{"n":7}]' });
    expect(marked(services, 'sql.refused')).toEqual([{
      name: 'ReadOnlyQueryError', reason: 'not_select',
      message: expect.stringContaining('executeSQL refused the query: only a SELECT statement is allowed, this one starts with DROP'),
    }]);
  });

  it('reports a failing one-way service as an event without failing the bar', async () => {
    const { runner, events } = await start({ mark: () => Promise.reject(new Error('event log is full')) });
    expect(await runner.processBar(bar(0))).toMatchObject({ status: 'ok' });
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(1));
    expect(events[0]).toEqual({ type: 'strategy.service_failed', strategy: 'host-api', method: 'mark', message: 'event log is full' });
  });

  it('fails the bar with the error when a trading call is rejected and the strategy does not catch it', async () => {
    const { runner } = await start({ placeOrder: () => Promise.reject(Object.assign(new Error('insufficient funds'), { code: 'REJECTED' })) });
    const outcome = await runner.processBar(bar(0));
    expect(outcome).toMatchObject({ status: 'failed', failure: { reason: 'threw', message: 'insufficient funds' } });
  });
});

/**
 * The strategy sandbox against the probes of issue #14 (`fixtures/probe.strategy.ts`): each attack is run in
 * the default isolation and its effect is checked where it would land (the secrets in what the strategy could
 * report, a local HTTP listener, the Binance simulator's order book, the file system, a port, the host
 * process, its memory, its event loop, the host's message handling). A few run in `trusted` mode too, to show
 * that the probe is real: there they succeed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createConnection, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { openDuckDBData } from '../../src/strategy/duckdb-data.ts';
import type { ReadOnlyQueryError } from '../../src/strategy/errors.ts';
import { registerSecret } from '../../src/secrets.ts';
import type { BarOutcome, StrategyEvent } from '../../src/strategy/events.ts';
import type { StrategyHostServices } from '../../src/strategy/host-api.ts';
import { startStrategy, type StrategyRunner, type StrategyRunnerOptions } from '../../src/strategy/runtime.ts';
import { bar, fakeServices, marked, type FakeServices } from './helpers.ts';

const PROBE = join(import.meta.dirname, 'fixtures', 'probe.strategy.ts');
const FAKE_SECRETS = { BINANCE_API_KEY: 'FAKEBINANCEKEYz81Qw', BINANCE_SECRET_KEY: 'FAKEBINANCESECRETy72Pv', POLYGON_API_KEY: 'FAKEPOLYGONKEYx63Ou' };
const dir = mkdtempSync(join(tmpdir(), 'argo-probe-'));
const runners: StrategyRunner[] = [];
let saved: Record<string, string | undefined> = {};

beforeAll(() => {
  saved = Object.fromEntries(Object.keys(FAKE_SECRETS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, FAKE_SECRETS);
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

interface ProbeRun {
  readonly first: BarOutcome;
  readonly second: BarOutcome;
  readonly mark: string;
  readonly services: FakeServices;
  /** Host timer ticks seen while the first bar was in hand. */
  readonly ticks: number;
}

/** Runs `probe` on the first bar, then hands a second bar (the strategy must still be served). */
const probe = async (
  name: string, extra: Record<string, unknown> = {}, options: Partial<StrategyRunnerOptions> = {}, overrides: Partial<StrategyHostServices> = {},
): Promise<ProbeRun> => {
  const services = fakeServices(overrides);
  const runner = await startStrategy(PROBE, { services, budgetMs: 5_000, sandboxMemoryMb: 64, config: { probe: name, at: bar(0).openTime, ...extra }, ...options });
  runners.push(runner);
  let ticks = 0;
  const ticker = setInterval(() => { ticks += 1; }, 5);
  const first = await runner.processBar(bar(0));
  clearInterval(ticker);
  const second = await runner.processBar(bar(1));
  return { first, second, services, ticks, mark: String(marked(services, 'probe')[0] ?? '') };
};

const blocked = (run: ProbeRun, why: RegExp): void => {
  expect(run.mark).toMatch(/^blocked: /);
  expect(run.mark).toMatch(why);
  expect(run.second.status).toBe('ok');
};

describe('what a sandboxed strategy cannot reach', () => {
  it('sees no environment: neither process.env nor /proc/self/environ', async () => {
    const run = await probe('env');
    for (const secret of Object.values(FAKE_SECRETS)) expect(JSON.stringify(run.services.calls)).not.toContain(secret);
    expect(run.mark).not.toContain('PATH=');
  });

  it('reads /proc/self/environ in trusted mode (the probe is real)', async () => {
    const run = await probe('env', {}, { isolation: 'trusted' });
    expect(run.mark).toMatch(/^escaped: .*PATH=/);
  });

  it('cannot send to a local HTTP listener', async () => {
    let requests = 0;
    const server: Server = createHttpServer((_req, res) => { requests += 1; res.end('ok'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const run = await probe('network', { port: (server.address() as { port: number }).port });
      blocked(run, /node:http/);
      expect(requests).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('the project\'s own Binance client', () => {
    let sim: BinanceSimulator;
    beforeAll(async () => {
      sim = await startBinanceSimulator({
        paused: true, serverClock: 'wall', apiKey: 'PROBEKEYa1B2c3D4', secretKey: 'PROBESECRETe5F6g7H8', balances: { USDT: 10_000 }, symbols: ['BTCUSDT'],
      });
    });
    afterAll(() => sim.close());
    const keys = (): Record<string, unknown> => ({ restUrl: sim.restUrl, apiKey: 'PROBEKEYa1B2c3D4', secretKey: 'PROBESECRETe5F6g7H8' });

    it('cannot be imported to place an order at the venue: no order reaches the simulator', async () => {
      const run = await probe('order', keys());
      blocked(run, /cannot import/);
      expect(sim.orders()).toHaveLength(0);
    });

    it('places a signed order from a trusted strategy (the probe is real)', async () => {
      const run = await probe('order', keys(), { isolation: 'trusted', budgetMs: 20_000 });
      expect(run.mark).toMatch(/^escaped: order/);
      expect(sim.orders()).toHaveLength(1);
    });
  });

  it('cannot read /etc/passwd', async () => {
    const run = await probe('passwd');
    blocked(run, /node:fs/);
    expect(run.mark).not.toContain('root:');
  });

  it('cannot write files', async () => {
    const path = join(dir, 'written.txt');
    const run = await probe('write', { path });
    blocked(run, /node:fs/);
    expect(existsSync(path)).toBe(false);
  });

  it('writes files from a trusted strategy (the probe is real)', async () => {
    const path = join(dir, 'written-trusted.txt');
    await probe('write', { path }, { isolation: 'trusted' });
    expect(existsSync(path)).toBe(true);
  });

  it('cannot run a command with execSync', async () => {
    const path = join(dir, 'executed.txt');
    const run = await probe('exec', { path });
    blocked(run, /node:child_process/);
    expect(existsSync(path)).toBe(false);
  });

  it('cannot listen on 0.0.0.0', async () => {
    const free = createNetServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const run = await probe('listen', { port });
    blocked(run, /node:net/);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => { socket.destroy(); resolve(false); });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('cannot leave a detached process behind', async () => {
    const run = await probe('detach', { path: join(dir, 'detached.txt') });
    blocked(run, /node:child_process/);
  });

  it('cannot signal the host: process.kill(process.pid, "SIGKILL") leaves it running', async () => {
    const run = await probe('kill');
    blocked(run, /kill/);
    expect(run.first.status).toBe('ok');
  });

  it('cannot block the host with execSync("sleep 15")', async () => {
    const run = await probe('sleep');
    blocked(run, /node:child_process/);
  });
});

describe('what a sandboxed strategy cannot exhaust', () => {
  it('reports an object-array heap bomb as oom although the strategy catches it, restarts it, and keeps the host\'s memory bounded', async () => {
    const before = process.memoryUsage().rss;
    const run = await probe('heap-bomb', {}, { budgetMs: 60_000 });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'oom', message: expect.stringContaining('limit 64 MB') } });
    expect(run.second.status).toBe('ok');
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('reports a Buffer/ArrayBuffer bomb as oom and keeps the host\'s memory bounded', async () => {
    const before = process.memoryUsage().rss;
    const run = await probe('buffer-bomb', { rethrow: true }, { budgetMs: 60_000, sandboxMemoryMb: 160 });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'oom' } });
    expect(run.second.status).toBe('ok');
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('reports a bomb of 1 MB strings as oom at the limit (QuickJS\'s own limit misses them) and keeps the host\'s memory bounded', async () => {
    const before = process.memoryUsage().rss;
    const run = await probe('string-bomb', { rethrow: true }, { budgetMs: 60_000 });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'oom', message: expect.stringContaining('limit 64 MB') } });
    expect(run.second.status).toBe('ok');
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('interrupts an infinite loop at the budget while the host keeps running its timers', async () => {
    const run = await probe('loop', {}, { budgetMs: 1_000 });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'timeout' } });
    expect(run.ticks).toBeGreaterThan(0);
    expect(run.second.status).toBe('ok');
  });

  it('holds the budget although the strategy tries to forge bar.done on the port', async () => {
    const run = await probe('forge', {}, { budgetMs: 1_000 });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'timeout' } });
    expect(run.second.status).toBe('ok');
  });

  it('caps 10,000 orders fired in one bar at the calls that may await an answer', async () => {
    const run = await probe('order-flood', {}, { budgetMs: 20_000 });
    expect(run.first.status).toBe('ok');
    expect(run.services.orders.length).toBeLessThanOrEqual(64);
    expect(run.mark).toMatch(/^escaped: placed (\d+)$/);
    expect(run.ticks).toBeGreaterThan(0);
  });
});

describe('what a sandboxed strategy cannot make the database do', () => {
  it('leaves no query running after six slow executeSQL calls and stop', async () => {
    const data = await openDuckDBData({ path: join(dir, 'flood.duckdb'), queryTimeoutMs: 600_000 });
    const calls: Promise<unknown>[] = [];
    const executeSQL: StrategyHostServices['executeSQL'] = (...a) => { const p = data.executeSQL(...a); calls.push(p); return p; };
    const run = await probe('sql-flood', {}, { budgetMs: 1_000 }, { executeSQL });
    expect(run.first).toMatchObject({ status: 'failed', failure: { reason: 'timeout' } });
    await runners.pop()!.stop();
    await data.close();
    const settled = await Promise.allSettled(calls);
    expect(settled).toHaveLength(6);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as ReadOnlyQueryError).reason : 'fulfilled')))
      .toEqual(['closed', 'closed', 'closed', 'closed', 'busy', 'busy']);
  });

  it('refuses one huge executeSQL result without growing the host heap', async () => {
    const data = await openDuckDBData({ path: join(dir, 'huge.duckdb'), queryTimeoutMs: 120_000 });
    try {
      const before = process.memoryUsage().heapUsed;
      const run = await probe('sql-huge', {}, { budgetMs: 120_000 }, { executeSQL: (...a) => data.executeSQL(...a) });
      expect(run.first.status).toBe('ok');
      expect(run.mark).toMatch(/^blocked: ReadOnlyQueryError: executeSQL: the result is larger than 16777216 bytes/);
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024 * 1024);
    } finally {
      await data.close();
    }
  });
});

describe('what the host does with what a strategy says', () => {
  it('prints a log text with newlines and escape codes as one line, so it cannot forge fill lines', async () => {
    const run = await probe('log-inject');
    const [level, message] = run.services.calls.find((c) => c.method === 'log')!.args as [string, string];
    expect(level).toBe('info');
    expect(message).not.toMatch(/[\n\r\u001b]/);
    expect(message).toBe('harmless\\nfill BUY 1000 BTCUSDT\\n\\u001b[2Ksession stopped ');
  });

  it('drops a flood of 10,000 log lines in the sandbox past the log budget, and says how many it dropped', async () => {
    const events: StrategyEvent[] = [];
    const run = await probe('log-flood', {}, { onEvent: (e) => events.push(e) });
    expect(run.first.status).toBe('ok');
    const logged = run.services.calls.filter((c) => c.method === 'log').length;
    // The burst (1,000) passes, plus what the budget refills while the loop runs; never the flood.
    expect(logged).toBeGreaterThanOrEqual(1_000);
    expect(logged).toBeLessThan(2_000);
    expect(events).toContainEqual(expect.objectContaining({
      type: 'strategy.service_failed', method: 'log', message: expect.stringMatching(/^\d+ calls? dropped \(latest: log: more than 200 log and mark calls per second\)$/),
    }));
  });

  it('redacts a registered secret the strategy logs', async () => {
    registerSecret('LOGGEDSECRETq9w8e7r6');
    const run = await probe('log-inject', { secret: 'LOGGEDSECRETq9w8e7r6' });
    const message = String(run.services.calls.find((c) => c.method === 'log')!.args[1]);
    expect(message).not.toContain('LOGGEDSECRETq9w8e7r6');
    expect(message).toContain('***');
  });
});

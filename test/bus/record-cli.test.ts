/** `argo-realtime record --bus nats://…` without `--out`: a recorder whose only store is the bus. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBinanceSimulator } from '../../src/sim/binance/index.ts';
import { runCli } from '../cli/helpers.ts';
import { readStream, streamProblems } from '../support/bus-helpers.ts';
import { startNatsServer } from '../support/nats-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('record --bus', () => {
  it('records to the bus alone, with no DuckDB file, when no --out is given', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const sim = await startBinanceSimulator({ tickMs: 20, marketStepMs: 20_000, symbols: ['SOLUSDT'] });
    cleanups.push(() => sim.close());
    const cwd = mkdtempSync(join(tmpdir(), 'argo-record-bus-'));
    const r = await runCli(['record', '--symbols', 'SOLUSDT', '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl, '--bus', nats.url, '--duration', '2'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('bus ARGO_BARS only (no DuckDB file)');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    const bars = (await readStream(nats.url, 'ARGO_BARS')).map((m) => m.bar);
    expect(bars.length).toBeGreaterThan(5);
    expect(streamProblems(sim, 'SOLUSDT', bars)).toEqual([]);
  }, 60_000);
});

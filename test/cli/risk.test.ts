/** The kill switch from the command line: SIGUSR2 trips it in a running session, `risk reset` re-arms a stopped one. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { runCli, startCli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-risk-'));
const STRATEGY = fileURLToPath(new URL('../risk/fixtures/reckless.strategy.ts', import.meta.url));

describe('the kill switch on the command line', () => {
  let sim: BinanceSimulator;
  beforeAll(async () => {
    sim = await startBinanceSimulator({ seed: 11, tickMs: 50, marketStepMs: 20_000, symbols: ['BTCUSDT'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('trips on SIGUSR2, stays tripped across a restart, and runs armed again after `risk reset`', async () => {
    const db = join(dir, 'kill.duckdb');
    const config = join(dir, 'kill.yaml');
    writeFileSync(config, [
      'session:',
      '  id: cli-risk',
      '  realtime_provider: binance-realtime',
      '  realtime_provider_config: { ws_url: "${SIM_WS_URL}", rest_url: "${SIM_REST_URL}" }',
      `  storage_config: { output_path: ${db}, flush_interval_ms: 200 }`,
      '  symbols: [BTCUSDT]',
      'strategy:',
      `  path: ${STRATEGY}`,
      '  config: { mode: rest }',
      'risk:',
      '  price_band_pct: 10',
    ].join('\n'));
    const env = { SIM_WS_URL: sim.wsUrl, SIM_REST_URL: sim.restUrl };
    const cli = startCli(['run', '--config', config], { env });
    await cli.waitFor(/order placed BUY 0\.001 BTCUSDT limit/);
    cli.child.kill('SIGUSR2');
    await cli.waitFor(/KILL SWITCH tripped \(manual\): SIGUSR2/);
    await cli.waitFor(/kill switch cancelled 1 open order/);
    await cli.waitFor(/risk refused BUY 0\.0001 BTCUSDT market: KILL_SWITCH_ACTIVE/);
    cli.child.kill('SIGTERM');
    const first = await cli.exited();
    expect(first.code).toBe(0);

    // The same session id resumes with the switch tripped: nothing is placed.
    const again = await runCli(['run', '--config', config, '--duration', '2'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/KILL_SWITCH_ACTIVE \(kill_switch\)/);
    expect(again.stdout).not.toMatch(/order placed/);

    const reset = await runCli(['risk', 'reset', '--db', db, '--session', 'cli-risk']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/kill switch reset for cli-risk \(it was tripped: SIGUSR2/);
    expect((await runCli(['risk', 'reset', '--db', db, '--session', 'cli-risk'])).stdout).toMatch(/armed already/);

    const armed = startCli(['run', '--config', config], { env });
    await armed.waitFor(/order placed BUY 0\.0001 BTCUSDT market/);
    armed.child.kill('SIGTERM');
    expect((await armed.exited()).code).toBe(0);
  }, 120_000); // three CLI runs in a row: slow on a loaded 2-core machine, not a timing assertion
});

/**
 * What a new user sees when something is off, as child processes: a read-only output directory, a trading
 * venue that cannot be reached (the hint names trading_provider_config), `providers` on IBKR's authentication,
 * and an unknown symbol among known ones against the exit-code table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE_DOCS } from '../../src/cli/exit-codes.ts';
import { startBinanceSimulator, type BinanceSimulator } from '../../src/sim/binance/index.ts';
import { runCli, type CliResult } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'argo-cli-finish-'));
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

const root = process.getuid?.() === 0;
const DROP = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
// As root, the check runs as `nobody`, which must be able to read the checkout (not so under a private home).
const canDrop = !root || spawnSync(DROP[0]!, [...DROP.slice(1), process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(MAIN)})`]).status === 0;

/** Runs the CLI as an unprivileged user when the tests run as root (root writes through any permission bits). */
const runUnprivileged = async (args: readonly string[]): Promise<CliResult> => {
  const [cmd, ...rest] = root ? [...DROP, process.execPath, MAIN, ...args] : [process.execPath, MAIN, ...args];
  const child = spawn(cmd!, rest, { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
};

describe('CLI fit and finish', () => {
  let sim: BinanceSimulator;
  beforeAll(async () => {
    sim = await startBinanceSimulator({ seed: 5, tickMs: 50, marketStepMs: 20_000, symbols: ['BTCUSDT', 'ETHUSDT'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it.runIf(canDrop)('says that an output directory is read-only, naming the flag, and exits 2', async () => {
    const ro = mkdtempSync(join(tmpdir(), 'argo-cli-ro-'));
    chmodSync(ro, 0o555);
    const r = await runUnprivileged(['record', '--symbols', 'BTCUSDT', '--out', join(ro, 'sub', 'bars.duckdb'), '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl, '--duration', '1']);
    expect(r.stderr).toContain(`--out: cannot write to ${join(ro, 'sub', 'bars.duckdb')}: the directory ${ro} is read-only for this user`);
    expect(r.stderr).not.toMatch(/ENOENT|EACCES|mkdir/);
    expect(r.code).toBe(2);
  });

  it('points a trading venue it cannot reach at trading_provider_config, not the market data section', async () => {
    const config = join(dir, 'ibkr.yaml');
    writeFileSync(config, [
      'session:',
      '  realtime_provider: binance-realtime',
      `  realtime_provider_config: { ws_url: "${sim.wsUrl}", rest_url: "${sim.restUrl}" }`,
      '  trading_provider: ibkr-paper',
      '  trading_provider_config: { port: 9, connect_timeout_ms: 500 }',
      `  storage_config: { output_path: "${join(dir, 'ibkr.duckdb')}" }`,
      '  symbols: [BTCUSDT]',
      'strategy:',
      `  path: ${join(process.cwd(), 'examples/ma-cross.strategy.ts')}`,
    ].join('\n'));
    const r = await runCli(['run', '--config', config, '--duration', '10']);
    expect(r.stderr).toContain('error CONNECTION_FAILED trading: cannot connect to TWS / IB Gateway at 127.0.0.1:9');
    expect(r.stderr).toContain('trading_provider_config');
    expect(r.stderr).not.toContain('realtime_provider_config');
    expect(r.code).toBe(4);
  });

  it('says that the IBKR providers need no API key', async () => {
    const r = await runCli(['providers']);
    const ibkr = r.stdout.slice(r.stdout.indexOf('  ibkr-paper  '), r.stdout.indexOf('  ibkr-live  '));
    expect(ibkr).toContain('auth: no API key');
    expect(r.stdout.slice(r.stdout.indexOf('  binance-paper  '))).toContain('auth: API key from the environment (api_key, secret_key)');
    const doc = JSON.parse((await runCli(['providers', '--json'])).stdout) as { trading: { name: string; apiKeys: string[] }[] };
    expect(doc.trading.find((p) => p.name === 'ibkr-paper')?.apiKeys).toEqual([]);
  });

  it('skips an unknown symbol among known ones with exit 0 and fails with exit 2 when none is known, as the exit-code table says', async () => {
    const record = (symbols: string) => runCli(['record', '--symbols', symbols, '--out', join(dir, `${symbols.replace(/,/g, '-')}.duckdb`), '--ws-url', sim.wsUrl, '--rest-url', sim.restUrl, '--duration', '2']);
    const some = await record('BTCUSDT,NOPEUSDT');
    expect(some.stdout).toContain('INVALID_SYMBOL NOPEUSDT is not a Binance spot symbol');
    expect(some.stdout).toContain('session stopped');
    expect(some.code).toBe(0);
    const none = await record('NOPEUSDT');
    expect(none.stderr).toContain('error INVALID_SYMBOL');
    expect(none.code).toBe(2);
    const row = (code: number) => EXIT_CODE_DOCS.find((e) => e.code === code)!;
    expect(row(0).meaning).toContain('An unknown symbol among known ones does not change this');
    expect(row(2).meaning).toContain('no known symbol at all');
    expect(row(2).errorCodes).toContain('INVALID_SYMBOL');
  });
}, 90_000);

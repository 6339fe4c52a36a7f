import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../../src/sim/binance/main.ts';

describe('simulator command line', () => {
  it('parses flags into options', () => {
    expect(parseSimulatorArgs([
      '--port', '0', '--tick-ms', '20', '--symbols', 'BTCUSDT,ethusdt', '--malformed-rate', '0.01',
      '--start-time', '2026-02-01T00:00:00Z', '--paused', '--flat-errors', '--symbol-count', '3',
    ])).toEqual({
      port: 0, tickMs: 20, symbols: ['BTCUSDT', 'ethusdt'], malformedRate: 0.01, startTime: Date.UTC(2026, 1, 1),
      paused: true, flatErrors: true, symbolCount: 3,
    });
    expect(() => parseSimulatorArgs(['--tick-ms', 'fast'])).toThrow(/--tick-ms/);
    expect(() => parseSimulatorArgs(['--bogus'])).toThrow();
  });

  it('prints its URLs as one JSON line and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['src/sim/binance/main.ts', '--port', '0', '--tick-ms', '20', '--symbols', 'BTCUSDT,ETHUSDT'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const urls = JSON.parse(line) as { wsUrl: string; restUrl: string };
      expect(urls.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const info = (await (await fetch(`${urls.restUrl}/api/v3/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
      expect(info.symbols.map((s) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('says at start-up, with its defaults, that the market runs at wall-clock pace and when the next 1m bar closes', async () => {
    const child = spawn(process.execPath, ['src/sim/binance/main.ts', '--feed', 'usdm'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const info = JSON.parse(line) as Record<string, unknown>;
      expect(info).toMatchObject({ feed: 'usdm', marketTime: '2026-01-01T00:00:00.000Z', marketSpeed: 1 });
      expect(info.streamBase).toBe(`${String(info.wsUrl)}/market`);
      expect(info.note).toBe('market time advances 2000 ms every 2000 ms (1x): the next 1m bar closes in about 60 s; pass --market-step-ms 60000 for one 1m bar per tick');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses an unknown feed', () => {
    expect(parseSimulatorArgs(['--feed', 'coinm'])).toEqual({ feed: 'coinm' });
    expect(() => parseSimulatorArgs(['--feed', 'options'])).toThrow(/--feed expects one of spot, usdm, coinm/);
  });
});

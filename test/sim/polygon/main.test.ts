import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parsePolygonSimulatorArgs } from '../../../src/sim/polygon/main.ts';

describe('Polygon simulator command line', () => {
  it('parses flags into options', () => {
    expect(parsePolygonSimulatorArgs([
      '--port', '0', '--tick-ms', '20', '--stocks', 'AAPL, TSLA', '--crypto', 'SOL-USD', '--correction-rate', '0.05',
      '--api-keys', 'k1,k2', '--start-time', '2026-02-02T14:30:00Z', '--paused',
    ])).toEqual({
      port: 0, tickMs: 20, correctionRate: 0.05, symbols: { stocks: ['AAPL', 'TSLA'], crypto: ['SOL-USD'] }, apiKeys: ['k1', 'k2'],
      startTime: Date.UTC(2026, 1, 2, 14, 30), paused: true,
    });
    expect(() => parsePolygonSimulatorArgs(['--tick-ms', 'fast'])).toThrow(/--tick-ms/);
    expect(() => parsePolygonSimulatorArgs(['--bogus'])).toThrow();
  });

  it('prints its URLs and keys as one JSON line and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['src/sim/polygon/main.ts', '--port', '0', '--api-keys', 'cli-key'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const info = JSON.parse(line) as { wsUrl: string; restUrl: string; apiKeys: string[] };
      expect(info.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(info.apiKeys).toEqual(['cli-key']);
      const res = await fetch(`${info.restUrl}/v2/aggs/ticker/AAPL/range/1/minute/0/1?apiKey=cli-key`);
      expect(((await res.json()) as { status: string }).status).toBe('OK');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

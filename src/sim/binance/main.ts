/**
 * Command line for the Binance simulator: starts it, prints `{"wsUrl":...,"restUrl":...}` as one JSON line
 * on stdout, and stops on SIGINT or SIGTERM.
 *
 *   node src/sim/binance/main.ts --port 0 --tick-ms 20 --symbols BTCUSDT,ETHUSDT --malformed-rate 0.01
 */
import { parseArgs } from 'node:util';
import type { BinanceSimulatorOptions } from './options.ts';
import { startBinanceSimulator } from './simulator.ts';
import { parseStartTime, serveSimulator } from '../shared/cli.ts';

const NUMERIC = {
  port: 'port', seed: 'seed', 'symbol-count': 'symbolCount', 'tick-ms': 'tickMs', 'market-step-ms': 'marketStepMs',
  'history-ms': 'historyMs', 'max-messages-per-second': 'maxMessagesPerSecond',
  'max-streams-per-connection': 'maxStreamsPerConnection', 'ping-interval-ms': 'pingIntervalMs',
  'pong-timeout-ms': 'pongTimeoutMs', 'max-connection-age-ms': 'maxConnectionAgeMs',
  'shutdown-grace-ms': 'shutdownGraceMs', 'malformed-rate': 'malformedRate', 'duplicate-rate': 'duplicateRate',
  'reorder-rate': 'reorderRate', 'rest-weight-per-minute': 'restWeightPerMinute',
} as const satisfies Record<string, keyof BinanceSimulatorOptions>;

const USAGE = `Usage: node src/sim/binance/main.ts [--host 127.0.0.1] [--symbols A,B] [--start-time ISO|ms]
  [--paused] [--flat-errors] ${Object.keys(NUMERIC).map((k) => `[--${k} n]`).join(' ')}`;

/** Parses command-line arguments into simulator options; throws on a bad value. */
export const parseSimulatorArgs = (args: readonly string[]): Partial<BinanceSimulatorOptions> => {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: 'string' as const }])),
      host: { type: 'string' },
      symbols: { type: 'string' },
      'start-time': { type: 'string' },
      paused: { type: 'boolean' },
      'flat-errors': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const options: Record<string, unknown> = {};
  const given: Readonly<Record<string, unknown>> = values;
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = given[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${flag} expects a number, got ${raw}`);
    options[key] = value;
  }
  const { host, symbols, paused } = values;
  if (typeof host === 'string') options['host'] = host;
  if (typeof symbols === 'string') options['symbols'] = symbols.split(',').map((s) => s.trim()).filter(Boolean);
  if (paused === true) options['paused'] = true;
  if (values['flat-errors'] === true) options['flatErrors'] = true;
  const start = values['start-time'];
  if (typeof start === 'string') options['startTime'] = parseStartTime(start);
  return options as Partial<BinanceSimulatorOptions>;
};

if (import.meta.main) await serveSimulator(parseSimulatorArgs, startBinanceSimulator, (s) => ({ wsUrl: s.wsUrl, restUrl: s.restUrl }));

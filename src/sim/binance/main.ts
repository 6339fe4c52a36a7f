/**
 * Command line for the Binance simulator: starts it, prints `{"wsUrl":...,"restUrl":...,"streamBase":...}` with
 * its feed, market time and pace as one JSON line on stdout, and stops on SIGINT or SIGTERM.
 *
 *   node src/sim/binance/main.ts --port 0 --tick-ms 20 --symbols BTCUSDT,ETHUSDT --malformed-rate 0.01
 *   node src/sim/binance/main.ts --feed usdm     # USDⓈ-M: klines on /market/ws, REST /fapi/v1
 */
import { parseArgs } from 'node:util';
import { BINANCE_FEEDS, type BinanceFeed } from '../../providers/binance/urls.ts';
import type { BinanceSimulatorOptions } from './options.ts';
import { startBinanceSimulator, type BinanceSimulator } from './simulator.ts';
import { parseStartTime, serveSimulator } from '../shared/cli.ts';

const NUMERIC = {
  port: 'port', seed: 'seed', 'symbol-count': 'symbolCount', 'tick-ms': 'tickMs', 'market-step-ms': 'marketStepMs',
  'history-ms': 'historyMs', 'max-messages-per-second': 'maxMessagesPerSecond',
  'max-streams-per-connection': 'maxStreamsPerConnection', 'ping-interval-ms': 'pingIntervalMs',
  'pong-timeout-ms': 'pongTimeoutMs', 'max-connection-age-ms': 'maxConnectionAgeMs',
  'shutdown-grace-ms': 'shutdownGraceMs', 'malformed-rate': 'malformedRate', 'duplicate-rate': 'duplicateRate',
  'reorder-rate': 'reorderRate', 'rest-weight-per-minute': 'restWeightPerMinute',
} as const satisfies Record<string, keyof BinanceSimulatorOptions>;

const USAGE = `Usage: node src/sim/binance/main.ts [--feed spot|usdm|coinm] [--host 127.0.0.1] [--symbols A,B] [--start-time ISO|ms]
  [--paused] [--flat-errors] ${Object.keys(NUMERIC).map((k) => `[--${k} n]`).join(' ')}`;

/** Parses command-line arguments into simulator options; throws on a bad value. */
export const parseSimulatorArgs = (args: readonly string[]): Partial<BinanceSimulatorOptions> => {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: 'string' as const }])),
      host: { type: 'string' },
      feed: { type: 'string' },
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
  if (typeof values.feed === 'string') {
    if (!(BINANCE_FEEDS as readonly string[]).includes(values.feed)) throw new Error(`--feed expects one of ${BINANCE_FEEDS.join(', ')}, got ${values.feed}`);
    options['feed'] = values.feed as BinanceFeed;
  }
  if (typeof symbols === 'string') options['symbols'] = symbols.split(',').map((s) => s.trim()).filter(Boolean);
  if (paused === true) options['paused'] = true;
  if (values['flat-errors'] === true) options['flatErrors'] = true;
  const start = values['start-time'];
  if (typeof start === 'string') options['startTime'] = parseStartTime(start);
  return options as Partial<BinanceSimulatorOptions>;
};

/**
 * The start-up line: where to connect, and the market's time and pace, so that a client recording 1m bars knows
 * when the first one closes (at the default pace the market runs at wall-clock speed).
 */
export const describeSimulator = (s: BinanceSimulator): Record<string, unknown> => {
  const { feed, tickMs, marketStepMs } = s.options;
  const speed = marketStepMs / tickMs;
  const firstMinuteCloseS = Math.ceil((60_000 - (s.now() % 60_000)) / speed / 1000);
  return {
    wsUrl: s.wsUrl, restUrl: s.restUrl, streamBase: s.streamBase, feed, symbols: s.symbols,
    marketTime: new Date(s.now()).toISOString(), marketSpeed: speed,
    note: `market time advances ${marketStepMs} ms every ${tickMs} ms (${speed}x): the next 1m bar closes in about ${firstMinuteCloseS} s${speed <= 1 ? '; pass --market-step-ms 60000 for one 1m bar per tick' : ''}`,
  };
};

if (import.meta.main) await serveSimulator(parseSimulatorArgs, startBinanceSimulator, describeSimulator);

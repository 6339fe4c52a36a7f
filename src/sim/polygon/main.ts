/**
 * Command line for the Massive (formerly Polygon) simulator: starts it, prints
 * `{"wsUrl":...,"restUrl":...,"apiKeys":[...],"startTime":"..."}` as one JSON line on stdout, and stops on SIGINT
 * or SIGTERM. Connect to `${wsUrl}/stocks` (or another market). The market clock starts at the wall-clock time
 * unless `--start-time` moves it (a clock far in the past feeds bars that a recording client drops as stale).
 *
 *   node src/sim/polygon/main.ts --port 0 --tick-ms 1000 --stocks AAPL,MSFT --correction-rate 0.05
 */
import { parseArgs } from 'node:util';
import { POLYGON_FEEDS, type PolygonFeed } from '../../providers/polygon/messages.ts';
import { POLYGON_HANDSHAKE_DIALECTS, type PolygonHandshakeDialect, type PolygonSimulatorOptions } from './options.ts';
import { startPolygonSimulator } from './simulator.ts';
import { parseStartTime, serveSimulator } from '../shared/cli.ts';

const NUMERIC = {
  port: 'port', seed: 'seed', 'tick-ms': 'tickMs', 'market-step-ms': 'marketStepMs', 'quiet-minute-rate': 'quietMinuteRate',
  'correction-rate': 'correctionRate', 'correction-delay-ms': 'correctionDelayMs', 'auth-timeout-ms': 'authTimeoutMs',
  'max-connections-per-key': 'maxConnectionsPerKey', 'malformed-rate': 'malformedRate', 'rest-page-size': 'restPageSize',
} as const satisfies Record<string, keyof PolygonSimulatorOptions>;

const USAGE = `Usage: node src/sim/polygon/main.ts [--host 127.0.0.1] [--api-keys K1,K2] [--start-time ISO|ms] [--paused] [--handshake ${POLYGON_HANDSHAKE_DIALECTS.join('|')}]
  ${POLYGON_FEEDS.map((f) => `[--${f} A,B]`).join(' ')} ${Object.keys(NUMERIC).map((k) => `[--${k} n]`).join(' ')}`;

/** Parses command-line arguments into simulator options; throws on a bad value. */
export const parsePolygonSimulatorArgs = (args: readonly string[]): Partial<PolygonSimulatorOptions> => {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      ...Object.fromEntries([...Object.keys(NUMERIC), ...POLYGON_FEEDS].map((k) => [k, { type: 'string' as const }])),
      host: { type: 'string' },
      'api-keys': { type: 'string' },
      'start-time': { type: 'string' },
      handshake: { type: 'string' },
      paused: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const given: Readonly<Record<string, unknown>> = values;
  const options: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = given[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${flag} expects a number, got ${raw}`);
    options[key] = value;
  }
  const list = (raw: unknown): string[] | undefined => (typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const symbols: Partial<Record<PolygonFeed, string[]>> = {};
  for (const feed of POLYGON_FEEDS) {
    const l = list(given[feed]);
    if (l) symbols[feed] = l;
  }
  if (Object.keys(symbols).length > 0) options['symbols'] = symbols;
  const keys = list(values['api-keys']);
  if (keys) options['apiKeys'] = keys;
  if (typeof values.host === 'string') options['host'] = values.host;
  if (values.paused === true) options['paused'] = true;
  const handshake = values.handshake;
  if (typeof handshake === 'string') {
    if (!(POLYGON_HANDSHAKE_DIALECTS as readonly string[]).includes(handshake)) throw new Error(`--handshake expects one of ${POLYGON_HANDSHAKE_DIALECTS.join(', ')}, got ${handshake}`);
    options['handshake'] = handshake as PolygonHandshakeDialect;
  }
  const start = values['start-time'];
  if (typeof start === 'string') options['startTime'] = parseStartTime(start);
  return options as Partial<PolygonSimulatorOptions>;
};

if (import.meta.main) await serveSimulator(parsePolygonSimulatorArgs, startPolygonSimulator, (s) => ({ wsUrl: s.wsUrl, restUrl: s.restUrl, apiKeys: s.options.apiKeys, startTime: new Date(s.options.startTime).toISOString() }));

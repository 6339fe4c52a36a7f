/**
 * Configuration of the Massive (formerly Polygon) simulator: every option with its default, and the checks that reject nonsense
 * early.
 */
import { POLYGON_FEEDS, POLYGON_LIMITS, type PolygonFeed } from '../../providers/polygon/messages.ts';
import { normalisePolygonSymbol } from '../../providers/polygon/symbols.ts';
import { DEFAULT_POLYGON_SYMBOLS } from './instruments.ts';

/** Options of `startPolygonSimulator`; every field has a default. */
export interface PolygonSimulatorOptions {
  /** Interface to bind (loopback by default). */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Seed of every deterministic choice (prices, quiet minutes, corrections, faults). */
  readonly seed: number;
  /** API keys the server accepts. */
  readonly apiKeys: readonly string[];
  /** Symbols served per market (a market given here replaces its defaults). */
  readonly symbols: Readonly<Record<PolygonFeed, readonly string[]>>;
  /** Market time at start (ms); by default the wall-clock time at start, to the second, so a client's clock agrees with it. */
  readonly startTime: number;
  /** Wall ms between market steps. */
  readonly tickMs: number;
  /** Market ms advanced per step (a multiple of 1000). */
  readonly marketStepMs: number;
  /** Start with the market clock stopped (use `advance()`). */
  readonly paused: boolean;
  /** Fraction of minutes without any trade (no bar is sent for them). */
  readonly quietMinuteRate: number;
  /** Fraction of minute bars re-sent with corrected values `correctionDelayMs` (market time) after their window. */
  readonly correctionRate: number;
  readonly correctionDelayMs: number;
  /** Wall ms a connection may stay unauthenticated before `auth_timeout`. */
  readonly authTimeoutMs: number;
  /** Authenticated connections per key and market; one more evicts the oldest with `max_connections`. */
  readonly maxConnectionsPerKey: number;
  /** Probability, per data frame, of an extra garbage frame after it. */
  readonly malformedRate: number;
  /** Most rows per REST page (the real cap is 50,000); smaller values force `next_url` paging. */
  readonly restPageSize: number;
  /**
   * The status events of the handshake: `connected` (what the servers and the official clients' mock servers
   * send: `connected`, then `auth_success` / `auth_failed`), `spec` (the AsyncAPI spec's connect event `success`
   * / `Connected Successfully`), or `legacy` (older servers: `connected`, then `success` / `authenticated` or
   * `error` / `authentication failed`).
   */
  readonly handshake: PolygonHandshakeDialect;
}

/** The handshake status dialects the simulator speaks. */
export const POLYGON_HANDSHAKE_DIALECTS = ['connected', 'spec', 'legacy'] as const;

/** One of {@link POLYGON_HANDSHAKE_DIALECTS}. */
export type PolygonHandshakeDialect = (typeof POLYGON_HANDSHAKE_DIALECTS)[number];

/** The defaults; `startTime` is the wall-clock second at which the options are resolved. */
export const DEFAULT_POLYGON_OPTIONS: Omit<PolygonSimulatorOptions, 'startTime'> = {
  host: '127.0.0.1',
  port: 0,
  seed: 42,
  apiKeys: ['sim-polygon-key'],
  symbols: DEFAULT_POLYGON_SYMBOLS,
  tickMs: 1_000,
  marketStepMs: 1_000,
  paused: false,
  quietMinuteRate: 0.1,
  correctionRate: 0,
  correctionDelayMs: 120_000,
  authTimeoutMs: 10_000,
  maxConnectionsPerKey: POLYGON_LIMITS.connectionsPerMarket,
  malformedRate: 0,
  restPageSize: POLYGON_LIMITS.aggsPerRequest,
  handshake: 'connected',
};

/** Merges options over the defaults and validates them; throws RangeError on an invalid value. */
export const resolvePolygonOptions = (partial: Partial<PolygonSimulatorOptions> = {}, now: () => number = Date.now): PolygonSimulatorOptions => {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  // A market clock in the past would feed a client bars older than its own clock, which it drops as stale.
  const startTime = Math.floor(now() / 1_000) * 1_000;
  const merged: PolygonSimulatorOptions = { ...DEFAULT_POLYGON_OPTIONS, startTime, ...defined, symbols: { ...DEFAULT_POLYGON_SYMBOLS, ...partial.symbols } };
  for (const key of ['tickMs', 'marketStepMs', 'authTimeoutMs', 'restPageSize'] as const) {
    if (!(merged[key] > 0) || merged[key] > 2_147_483_647) throw new RangeError(`${key} must be in (0, 2^31)`);
  }
  if (merged.marketStepMs % 1000 !== 0) throw new RangeError('marketStepMs must be a whole number of seconds');
  if (!Number.isInteger(merged.port) || merged.port < 0) throw new RangeError('port must be an integer ≥ 0');
  if (!Number.isInteger(merged.maxConnectionsPerKey) || merged.maxConnectionsPerKey < 1) throw new RangeError('maxConnectionsPerKey must be an integer ≥ 1');
  for (const key of ['quietMinuteRate', 'correctionRate', 'malformedRate'] as const) {
    if (!(merged[key] >= 0 && merged[key] <= 1)) throw new RangeError(`${key} must be in [0, 1]`);
  }
  if (!(merged.correctionDelayMs >= 0) || merged.correctionDelayMs % 1000 !== 0) throw new RangeError('correctionDelayMs must be a whole number of seconds ≥ 0');
  if (merged.apiKeys.length === 0) throw new RangeError('no API key configured');
  if (!Number.isInteger(merged.startTime) || merged.startTime % 1_000 !== 0) throw new RangeError('startTime must be a whole second (Unix ms)');
  if (!POLYGON_HANDSHAKE_DIALECTS.includes(merged.handshake)) throw new RangeError(`handshake must be one of ${POLYGON_HANDSHAKE_DIALECTS.join(', ')}`);
  for (const feed of POLYGON_FEEDS) {
    for (const s of merged.symbols[feed]) {
      if (normalisePolygonSymbol(feed, s) !== s) throw new RangeError(`${JSON.stringify(s)} is not a ${feed} symbol in Massive's form`);
    }
  }
  return merged;
};

/** Test helpers for the Binance trading providers: a simulator with a trading account and a connected-ready provider. */
import { afterEach } from 'vitest';
import type { LoggedEvent } from '../../../src/events/fold.ts';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';
import type { BinanceTradingProvider } from '../../../src/trading/binance/index.ts';
import { createTradingProvider } from '../../../src/trading/registry.ts';
import type { OrderUpdate } from '../../../src/trading/trading-provider.ts';
import { eventWaits } from '../../support/event-waits.ts';

// Every update and log event of a venue's provider re-checks the pending waits.
const waits = eventWaits();

/** Credentials distinctive enough to grep for in any output. */
export const API_KEY = 'TESTKEYq7Wm2Zr9Lx4Pd';
export const SECRET = 'TESTSECRETn3Vb8Kc1Hs6Ty';

/** Market time at which the simulator starts. */
export const START = Date.UTC(2026, 0, 1);

/** A venue under test: the simulator, a provider for it, and what the provider reported. */
export interface Venue {
  readonly sim: BinanceSimulator;
  readonly provider: BinanceTradingProvider;
  readonly updates: OrderUpdate[];
  readonly events: LoggedEvent[];
}

/** Starts simulators and providers for a test file, and stops them after each test. */
export const useVenues = () => {
  const sims: BinanceSimulator[] = [];
  const providers: BinanceTradingProvider[] = [];
  afterEach(async () => {
    for (const p of providers.splice(0)) await p.disconnect();
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  return {
    /** A paused simulator (server clock = wall clock) with a funded account, and a provider polling every 25 ms. */
    start: async (simOptions: Partial<BinanceSimulatorOptions> = {}, config: Record<string, unknown> = {}): Promise<Venue> => {
      const sim = await startBinanceSimulator({
        paused: true, serverClock: 'wall', apiKey: API_KEY, secretKey: SECRET, balances: { USDT: 10_000, BTC: 0.5 },
        symbols: ['BTCUSDT', 'ETHUSDT'], ...simOptions,
      });
      sims.push(sim);
      const provider = createTradingProvider('binance-paper', {
        api_key: API_KEY, secret_key: SECRET, rest_url: sim.restUrl, poll_interval_ms: 25, requests_per_second: 50, ...config,
      }) as BinanceTradingProvider;
      providers.push(provider);
      const updates: OrderUpdate[] = [];
      const events: LoggedEvent[] = [];
      provider.onOrderUpdate((u) => { updates.push(u); waits.poke(); });
      provider.onEvent((e) => { events.push(e); waits.poke(); });
      return { sim, provider, updates, events };
    },
  };
};

/** Resolves once `check()` holds, re-checked on every update and log event of a venue's provider; rejects after `timeoutMs`. */
export const eventually = (check: () => boolean, timeoutMs = 5_000): Promise<void> => waits.until(check, 'a provider update or event after which the condition holds', timeoutMs);

/** The current simulated price of a symbol (the venue's ticker). */
export const tickerPrice = async (sim: BinanceSimulator, symbol: string): Promise<number> =>
  Number(((await (await fetch(`${sim.restUrl}/api/v3/ticker/price?symbol=${symbol}`)).json()) as { price: string }).price);

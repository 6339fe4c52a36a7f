/**
 * Shared setup of the IBKR provider tests: a TWS simulator on port 0 and providers pointed at it with short
 * reconnect and request timings, all closed after each test.
 */
import { afterEach } from 'vitest';
import type { RealtimeError } from '../../../src/errors.ts';
import type { LoggedEvent } from '../../../src/events/fold.ts';
import { startIbkrSimulator, type IbkrSimulator, type IbkrSimulatorOptions } from '../../../src/sim/ibkr/index.ts';
import { createIbkrTradingProvider, type IbkrProviderName, type IbkrTradingDeps, type IbkrTradingProvider } from '../../../src/trading/ibkr/index.ts';
import type { OrderUpdate } from '../../../src/trading/trading-provider.ts';
import { eventWaits } from '../../support/event-waits.ts';

// Every simulator request and every provider update, error and log event re-checks the pending waits.
const waits = eventWaits();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Registers a cleanup that runs after the current test. */
export const onCleanup = (fn: () => Promise<void> | void): void => {
  cleanups.push(fn);
};

/** A simulator pricing AAPL at 100. */
export const simulator = async (options: Partial<IbkrSimulatorOptions> = {}): Promise<IbkrSimulator> => {
  const sim = await startIbkrSimulator({ prices: { AAPL: 100 }, ...options });
  sim.on('request', waits.poke);
  onCleanup(() => sim.close());
  return sim;
};

/** A provider with everything it reported. */
export interface Probe {
  readonly provider: IbkrTradingProvider;
  readonly updates: OrderUpdate[];
  readonly errors: RealtimeError[];
  readonly events: LoggedEvent[];
}

/** A provider for the simulator (not connected yet), recording its updates, errors and log events. */
export const provider = (sim: IbkrSimulator, config: Record<string, unknown> = {}, name: IbkrProviderName = 'ibkr-paper', deps: IbkrTradingDeps = {}): Probe => {
  const p = createIbkrTradingProvider(name, {
    port: sim.port, client_id: 1, reconnect_delay_ms: 50, reconnect_max_delay_ms: 200, request_timeout_ms: 2_000,
    connect_timeout_ms: 2_000, keepalive_ms: 1_000, ...config,
  }, { seed: 7, ...deps });
  const probe: Probe = { provider: p, updates: [], errors: [], events: [] };
  p.onOrderUpdate((u) => { probe.updates.push(u); waits.poke(); });
  p.onError((e) => { probe.errors.push(e); waits.poke(); });
  p.onEvent((e) => { probe.events.push(e); waits.poke(); });
  onCleanup(() => p.disconnect());
  return probe;
};

/**
 * Resolves once `ok()` holds, re-checked on every request a {@link simulator} handles and every update, error and
 * log event of a {@link provider} (what these conditions read changes only then); rejects after `timeoutMs`.
 */
export const eventually = (ok: () => boolean, what: string, timeoutMs = 3_000): Promise<void> => waits.until(ok, what, timeoutMs);

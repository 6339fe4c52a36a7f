/**
 * The `binance-paper` (Spot testnet) and `binance-live` trading providers: the {@link TradingProvider} interface
 * over Binance's signed REST API. Connecting reads the server time and the account (a wrong key or secret fails
 * here, once, with AUTHENTICATION_FAILED) and takes over the working orders; while connected, working orders are
 * polled every `poll_interval_ms` and their fills reach `onOrderUpdate`. Every fact (order placed, filled,
 * cancelled, rejected; time synced; rate limited) goes to `onEvent` as plain JSON for the session's event log.
 * Secrets are registered for redaction and never put in a message or event.
 */
import type { Bar } from '../../domain/bar.ts';
import { isRealtimeError, realtimeError } from '../../errors.ts';
import type { LoggedEvent } from '../../events/fold.ts';
import { Listeners } from '../../providers/shared/listeners.ts';
import type { Unlisten } from '../../providers/realtime-provider.ts';
import { redact, registerSecret } from '../../secrets.ts';
import type { OrderUpdate, TradingProvider } from '../trading-provider.ts';
import type { Order, OrderRequest } from '../types.ts';
import { AccountView } from './account.ts';
import { assertLiveAllowed, type BinanceTradingConfig, type BinanceVenue } from './config.ts';
import type { BinanceAccount, BinanceOrder } from './messages.ts';
import { OrderTracker } from './orders.ts';
import { BinanceTradingClient } from './rest-client.ts';
import { SymbolCatalog } from './symbols.ts';

/** How to build a Binance trading provider. */
export interface BinanceTradingProviderOptions {
  readonly venue: BinanceVenue;
  /** The decoded config (`BinancePaperConfigSchema` / `BinanceLiveConfigSchema`). */
  readonly config: BinanceTradingConfig;
  /** The caller's explicit confirmation of live trading (CLI `--live`); required, with `live: true`, for binance-live. */
  readonly liveConfirmed?: boolean;
  /**
   * Clock of order times the provider stamps itself (orders rejected before sending; the venue stamps the rest);
   * defaults to `Date.now`. Request timestamps, limits and caches always use the wall clock: a replay's clock
   * must never reach a signature.
   */
  readonly now?: () => number;
}

/** A Binance provider: a {@link TradingProvider} with its event stream and REST client exposed. */
export interface BinanceTradingProvider extends TradingProvider {
  onMarketData(bar: Bar): void;
  onEvent(callback: (event: LoggedEvent) => void): Unlisten;
  /** The REST client (request count, server-time offset). */
  readonly client: BinanceTradingClient;
}

/** Balances and trades older than this are read again even without a known change (deposits, other clients). */
const ACCOUNT_MAX_AGE_MS = 10_000;

/** Creates a Binance trading provider; throws CONFIG_INVALID for binance-live without both live confirmations. */
export const createBinanceTradingProvider = (options: BinanceTradingProviderOptions): BinanceTradingProvider => {
  const { venue, config } = options;
  if (venue === 'binance-live') assertLiveAllowed(config, options.liveConfirmed);
  registerSecret(config.api_key);
  registerSecret(config.secret_key);
  const now = Date.now;
  const orderTime = options.now ?? Date.now;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const updates = new Listeners<[OrderUpdate]>();
  const events = new Listeners<[LoggedEvent]>();
  // Facts are JSON; a text field never carries a secret (redacted once more here, in case a venue echoes one).
  const fact = (event: LoggedEvent): void => events.emit(JSON.parse(redact(JSON.stringify(event))) as LoggedEvent);
  const baseUrl = config.rest_url.replace(/\/+$/, '');
  const client = new BinanceTradingClient({
    baseUrl, apiKey: config.api_key, secretKey: config.secret_key, recvWindowMs: config.recv_window_ms,
    requestTimeoutMs: config.request_timeout_ms, requestsPerSecond: config.requests_per_second, now, sleep, onNotice: fact,
  });
  const catalog = new SymbolCatalog(client, now, ACCOUNT_MAX_AGE_MS);
  const account = new AccountView(client, catalog, config.quote_asset, now, ACCOUNT_MAX_AGE_MS);
  const tracker = new OrderTracker({
    client, catalog, now: orderTime, sleep,
    emit: (update, event) => {
      fact(event);
      if (update) updates.emit(update);
    },
    touched: (symbol) => account.markDirty(symbol),
  });

  let connected = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling: Promise<void> | undefined;

  const requireConnected = (what: string): void => {
    if (!connected) throw realtimeError('NOT_READY', `${venue} is not connected: call connect() before ${what}`);
  };
  const schedulePoll = (): void => {
    pollTimer = setTimeout(() => {
      polling = tracker.poll()
        .catch((e: unknown) => fact({ type: 'venue.poll_failed', error: isRealtimeError(e) ? e.toJSON() : redact(String(e)) }))
        .finally(() => {
          polling = undefined;
          if (connected) schedulePoll();
        });
    }, config.poll_interval_ms);
    // Polling alone must not keep a process alive.
    pollTimer.unref?.();
  };

  return {
    name: venue,
    client,
    async connect(signal?: AbortSignal) {
      if (connected) return;
      signal?.throwIfAborted();
      await client.syncTime(signal);
      const read = await client.signed<BinanceAccount>('GET', '/api/v3/account', { omitZeroBalances: true }, 20, { signal });
      if (read.kind !== 'ok') {
        const why = read.kind === 'unknown' ? read.reason : `${read.msg} (${read.code})`;
        throw realtimeError('CONNECTION_FAILED', `${venue}: could not read the account at ${baseUrl}: ${why}`, { venue });
      }
      if (read.body.canTrade === false) {
        throw realtimeError('AUTHENTICATION_FAILED', `${venue}: the account behind api_key may not trade (canTrade is false)`, { venue });
      }
      account.noteAccount(read.body);
      const open = await client.signed<BinanceOrder[]>('GET', '/api/v3/openOrders', {}, 80, { signal });
      if (open.kind === 'ok') {
        await tracker.adoptOpen(open.body);
        for (const o of open.body) account.traded.add(o.symbol);
      }
      connected = true;
      fact({ type: 'venue.connected', venue, restUrl: baseUrl, serverTimeOffsetMs: client.offsetMs, openOrders: open.kind === 'ok' ? open.body.length : null });
      schedulePoll();
    },
    async disconnect() {
      if (!connected) return;
      connected = false;
      clearTimeout(pollTimer);
      await polling;
      fact({ type: 'venue.disconnected', venue });
    },
    isConnected: () => connected,
    async placeOrder(request: OrderRequest): Promise<Order> {
      requireConnected('placing an order');
      return tracker.place(request);
    },
    async cancelOrder(id: string) {
      requireConnected('cancelling an order');
      return tracker.cancel(id);
    },
    async getOrderStatus(id: string) {
      requireConnected('reading an order');
      return tracker.status(id);
    },
    async getOpenOrders() {
      requireConnected('reading open orders');
      return tracker.openOrders();
    },
    async getPositions() {
      requireConnected('reading positions');
      return account.positions();
    },
    async getAccountInfo() {
      requireConnected('reading the account');
      return account.account();
    },
    async getTrades() {
      requireConnected('reading trades');
      return account.allFills();
    },
    onOrderUpdate(callback) {
      return updates.add(callback);
    },
    onEvent(callback) {
      return events.add(callback);
    },
    onMarketData(bar: Bar) {
      // The session's symbols are the traded ones, and their closes value the holdings.
      if (!bar.final) return;
      const symbol = bar.symbol.toUpperCase();
      catalog.notePrice(symbol, bar.close);
      account.traded.add(symbol);
    },
  };
};

/**
 * The IBKR trading provider (`ibkr-paper`, `ibkr-live`): stock orders through TWS or IB Gateway with
 * `@stoqey/ib`, behind the {@link TradingProvider} interface. The connection machine owns the socket
 * (`socket.ts`); after every (re)connection the provider re-requests positions, open orders and the day's
 * executions before it trades again, so state lost during an outage is recovered from TWS, never guessed.
 * Orders advance through the order machine; fills come from executions with their commission reports.
 *
 * The first connection fails fast with a clear error (TWS not running, client id in use, wrong account); a
 * connection lost later is reported as CONNECTION_LOST and reopened with the machine's backoff.
 */
import type { IBApi } from '@stoqey/ib';
import type { InspectionEvent } from 'xstate';
import { isFinalStatus, toOrder } from '../../../machines/order.machine.ts';
import { systemClock, type Clock } from '../../clock.ts';
import type { Bar } from '../../domain/bar.ts';
import { realtimeError, type ErrorCode, type RealtimeError } from '../../errors.ts';
import type { LoggedEvent } from '../../events/fold.ts';
import type { ConnectionState, Unlisten } from '../../providers/realtime-provider.ts';
import { Listeners } from '../../providers/shared/listeners.ts';
import type { OrderUpdate, TradingProvider } from '../trading-provider.ts';
import type { AccountInfo, Order, OrderRequest, Position } from '../types.ts';
import { IBKR_PORTS_TEXT, type IbkrProviderName, type IbkrTradingConfig } from './config.ts';
import { TwsInbox } from './inbox.ts';
import { IB_CODE } from './messages.ts';
import { accountInfoOf, ibOrderOf, invalidRequest, stockContract } from './parse.ts';
import { IbkrSocket, type HandshakeInfo, type IbkrConnectionActor } from './socket.ts';
import { syncAfterConnect } from './sync.ts';

/** Runtime dependencies that are not configuration. */
export interface IbkrTradingDeps {
  /** Clock of order and fill times (ms); defaults to `Date.now`. */
  readonly now?: () => number;
  /** True only when the operator confirmed real-money trading (the CLI's `--live`); required by `ibkr-live`. */
  readonly liveConfirmed?: boolean;
  /** Timers (keep-alive, request timeouts); defaults to the system clock. */
  readonly clock?: Clock;
  /** Seed of the reconnect jitter. */
  readonly seed?: number;
  /** Receives the connection actor's inspection events. */
  readonly inspect?: (event: InspectionEvent) => void;
}

/** The IBKR provider: a {@link TradingProvider} with its errors, connection state and log events exposed. */
export interface IbkrTradingProvider extends TradingProvider {
  readonly config: IbkrTradingConfig;
  onMarketData(bar: Bar): void;
  onEvent(callback: (event: LoggedEvent) => void): Unlisten;
  /** Registers a listener for connection problems (CONNECTION_LOST, CONNECTION_FAILED) and undecodable messages. */
  onError(callback: (error: RealtimeError) => void): Unlisten;
  /** The connection's state (`connected` once the socket is open and state is synchronised). */
  connectionState(): ConnectionState;
  /** The connection actor, for inspection; undefined before `connect()`. */
  connectionActor(): IbkrConnectionActor | undefined;
}

// The session reads the account on every flush: one request per second at most, and again after every fill.
const ACCOUNT_CACHE_MS = 1_000;

/** The provider; create it with `createIbkrTradingProvider`. */
export class IbkrProvider implements IbkrTradingProvider {
  readonly name: IbkrProviderName;
  readonly config: IbkrTradingConfig;
  readonly #deps: IbkrTradingDeps;
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #inbox: TwsInbox;
  readonly #updates = new Listeners<[OrderUpdate]>();
  readonly #events = new Listeners<[LoggedEvent]>();
  readonly #errors = new Listeners<[RealtimeError]>();
  readonly #watchers = new Set<() => void>();
  #socket: IbkrSocket | undefined;
  #gen = -1;
  #account = '';
  #nextOrderId = 0;
  #ready = false;
  #everReady = false;
  #state: ConnectionState = 'disconnected';
  #failure: RealtimeError | undefined;
  #lastNotice: string | undefined;
  #connecting: { promise: Promise<void>; resolve: () => void; reject: (e: RealtimeError) => void } | undefined;
  #accountRefresh: Promise<void> | undefined;

  constructor(name: IbkrProviderName, config: IbkrTradingConfig, deps: IbkrTradingDeps = {}) {
    this.name = name;
    this.config = config;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#now = deps.now ?? (() => this.#clock.now());
    this.#inbox = new TwsInbox({
      clock: this.#clock, now: this.#now, clientId: config.client_id, requestTimeoutMs: config.request_timeout_ms,
      account: () => this.#account,
      nextValidId: (id) => { this.#nextOrderId = Math.max(this.#nextOrderId, id); },
      notify: (update) => this.#notify(update),
      log: (event) => this.#log(event),
      poke: () => this.#poke(),
    });
  }

  /** The TWS account traded (known after the first handshake). */
  get account(): string {
    return this.#account;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#ready) return;
    if (this.#connecting) return this.#connecting.promise;
    let resolve!: () => void;
    let reject!: (e: RealtimeError) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    this.#connecting = { promise, resolve, reject };
    this.#failure = undefined;
    this.#everReady = false;
    const c = this.config;
    const socket = new IbkrSocket({
      host: c.host, port: c.port, clientId: c.client_id, keepaliveMs: c.keepalive_ms, seed: this.#deps.seed ?? c.client_id, clock: this.#clock,
      policy: {
        baseDelayMs: c.reconnect_delay_ms, maxDelayMs: Math.max(c.reconnect_delay_ms, c.reconnect_max_delay_ms), jitter: 0.5,
        maxAttempts: c.reconnect_attempts, healthyAfterMs: 30_000, connectTimeoutMs: c.connect_timeout_ms, handshakeTimeoutMs: c.connect_timeout_ms,
        staleAfterMs: 3 * c.keepalive_ms, idleTimeoutMs: 3 * c.keepalive_ms,
        // Never rotate: a second socket with the same client id would be refused with 326.
        maxAgeMs: 0, handshake: true,
      },
      hooks: { attach: (api, gen) => { this.#gen = gen; this.#inbox.attach(api, gen); }, checkHandshake: (info) => this.#checkHandshake(info), onNotice: (gen, code, msg) => this.#onNotice(gen, code, msg) },
      ...(this.#deps.inspect ? { inspect: this.#deps.inspect } : {}),
    });
    this.#socket = socket;
    socket.actor.on('connection.state', (ev) => {
      if (socket !== this.#socket) return;
      if (ev.state === 'connected') void this.#onOpen(socket, ev.gen);
      else this.#onDown(ev.state, ev.reason);
    });
    socket.actor.on('connection.reconnecting', (ev) => {
      if (socket !== this.#socket) return;
      if (!this.#everReady) {
        this.#fail(realtimeError('CONNECTION_FAILED', `cannot connect to TWS / IB Gateway at ${c.host}:${c.port} (${this.#lastNotice ?? ev.reason}); check that it is running and logged in, that API socket clients are enabled, and the port (${IBKR_PORTS_TEXT})`, this.#where({ reason: ev.reason })));
        return;
      }
      this.#report(realtimeError('CONNECTION_LOST', `connection to TWS lost (${ev.reason}); reconnect attempt ${ev.attempt} in ${ev.delayMs} ms`, this.#where({ reason: ev.reason, attempt: ev.attempt, delayMs: ev.delayMs })));
    });
    socket.actor.on('connection.failed', (ev) => {
      if (socket !== this.#socket) return;
      this.#fail(realtimeError(ev.code, ev.message, this.#where({})));
    });
    const onAbort = () => this.#fail(realtimeError('ABORTED', 'connect() was aborted', this.#where({})));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.start();
    try {
      await promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async disconnect(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    socket?.stop();
    this.#connecting?.reject(realtimeError('ABORTED', 'disconnect() was called while connecting', this.#where({})));
    this.#connecting = undefined;
    this.#inbox.requests.rejectAll(realtimeError('CLOSED', 'the provider was disconnected', this.#where({})));
    this.#inbox.close();
    this.#setState('disconnected', 'disconnect');
    this.#poke();
  }

  isConnected(): boolean {
    return this.#ready;
  }

  connectionState(): ConnectionState {
    return this.#state;
  }

  connectionActor(): IbkrConnectionActor | undefined {
    return this.#socket?.actor;
  }

  async placeOrder(request: OrderRequest): Promise<Order> {
    const api = this.#requireReady('placing an order');
    if (typeof request !== 'object' || request === null) throw realtimeError('ORDER_INVALID', 'the order request is not an object');
    if (request.clientOrderId !== undefined) {
      // Idempotent placement: the same clientOrderId (TWS order reference) returns the known order.
      const existing = this.#inbox.book.byClientOrderId(request.clientOrderId);
      if (existing) return toOrder(existing);
    }
    const id = this.#nextOrderId++;
    const at = this.#now();
    const symbol = typeof request.symbol === 'string' ? request.symbol.trim().toUpperCase() : request.symbol;
    const normalised = { ...request, symbol };
    this.#inbox.book.add(id, normalised, at);
    this.#log({ type: 'ibkr.order.placed', orderId: id, request: normalised, at });
    const invalid = invalidRequest(normalised);
    if (invalid !== undefined) {
      this.#inbox.apply(id, { type: 'order.rejected', reason: invalid, at });
      return toOrder(this.#inbox.book.order(id)!);
    }
    api.placeOrder(id, stockContract(symbol, this.config), ibOrderOf(normalised, this.#account, request.clientOrderId ?? ''));
    await this.#until(() => this.#inbox.book.order(id)!.status !== 'submitted', this.config.request_timeout_ms);
    return toOrder(this.#inbox.book.order(id)!);
  }

  async cancelOrder(orderId: string): Promise<Order> {
    const api = this.#requireReady('cancelling an order');
    const id = Number(orderId);
    const state = Number.isInteger(id) ? this.#inbox.book.order(id) : undefined;
    if (!state) throw realtimeError('ORDER_NOT_FOUND', `IBKR has no order with id ${orderId} in this session`, { orderId });
    if (isFinalStatus(state.status)) return toOrder(state);
    this.#inbox.expectCancel(id);
    this.#inbox.apply(id, { type: 'order.cancel', at: this.#now() });
    api.cancelOrder(id);
    await this.#until(() => isFinalStatus(this.#inbox.book.order(id)!.status) || this.#inbox.cancelRefused(id), this.config.request_timeout_ms);
    return toOrder(this.#inbox.book.order(id)!);
  }

  async getOrderStatus(orderId: string): Promise<Order | undefined> {
    const id = Number(orderId);
    const state = Number.isInteger(id) ? this.#inbox.book.order(id) : undefined;
    return state ? toOrder(state) : undefined;
  }

  async getOpenOrders(): Promise<Order[]> {
    return this.#inbox.book.orders().filter((o) => o.status === 'accepted' || o.status === 'partially_filled').map(toOrder);
  }

  async getPositions(): Promise<Position[]> {
    const api = this.#requireReady('reading positions');
    if (this.#inbox.positionsDirty) await this.#inbox.requestPositions(api, true);
    return this.#inbox.book.positions();
  }

  async getAccountInfo(): Promise<AccountInfo> {
    const api = this.#requireReady('reading the account');
    const cache = this.#inbox.account;
    if (!cache || this.#inbox.positionsDirty || this.#now() - cache.at >= ACCOUNT_CACHE_MS) {
      this.#accountRefresh ??= this.#inbox.requestSummary(api).finally(() => { this.#accountRefresh = undefined; });
      await this.#accountRefresh;
    }
    return accountInfoOf(this.#inbox.account!.values, this.config.currency, this.#inbox.book.totals());
  }

  async getTrades() {
    return this.#inbox.book.fills();
  }

  onOrderUpdate(callback: (update: OrderUpdate) => void): Unlisten {
    return this.#updates.add(callback);
  }

  onEvent(callback: (event: LoggedEvent) => void): Unlisten {
    return this.#events.add(callback);
  }

  onError(callback: (error: RealtimeError) => void): Unlisten {
    return this.#errors.add(callback);
  }

  onMarketData(bar: Bar): void {
    if (Number.isFinite(bar.close) && bar.close > 0) this.#inbox.book.mark(bar.symbol.toUpperCase(), bar.close);
  }

  #checkHandshake(info: HandshakeInfo): { code: ErrorCode; message: string } | undefined {
    const wanted = this.config.account_id;
    const list = info.accounts.join(', ') || 'none';
    if (wanted !== undefined && !info.accounts.includes(wanted)) return { code: 'CONFIG_INVALID', message: `account ${wanted} is not among the accounts of this TWS login (${list})` };
    if (wanted === undefined && info.accounts.length !== 1) return { code: 'CONFIG_INVALID', message: `this TWS login manages ${info.accounts.length} accounts (${list}); set \`account\` to the one to trade` };
    const account = wanted ?? info.accounts[0]!;
    // IBKR paper account ids start with D (DU…, DF…): a paper provider must never send orders to a live login.
    if (this.config.mode === 'paper' && !account.startsWith('D')) {
      return { code: 'CONFIG_INVALID', message: `ibkr-paper refuses account ${account}: paper account ids start with D, so this is a live login (use ibkr-live)` };
    }
    this.#account = account;
    this.#nextOrderId = Math.max(this.#nextOrderId, info.nextOrderId);
    return undefined;
  }

  async #onOpen(socket: IbkrSocket, gen: number): Promise<void> {
    const api = socket.current()?.api;
    if (!api) return;
    try {
      await syncAfterConnect(this.#inbox, api);
    } catch (e) {
      const error = e as RealtimeError;
      if (socket !== this.#socket || gen !== this.#gen) return;
      if (!this.#everReady) return this.#fail(realtimeError('CONNECTION_FAILED', `connected to TWS, but ${error.message}`, this.#where({})));
      this.#report(realtimeError('CONNECTION_LOST', `resynchronisation after reconnect failed (${error.message}); reconnecting`, this.#where({})));
      api.disconnect();
      return;
    }
    if (socket !== this.#socket || gen !== this.#gen) return;
    this.#ready = true;
    this.#everReady = true;
    this.#setState('connected', null);
    this.#connecting?.resolve();
    this.#connecting = undefined;
  }

  #onDown(state: ConnectionState, reason: string | null): void {
    if (this.#ready || state !== this.#state) {
      this.#ready = false;
      this.#inbox.requests.rejectAll(realtimeError('CONNECTION_LOST', `the connection to TWS went down (${reason ?? state})`, this.#where({})));
    }
    this.#setState(state, reason);
  }

  #fail(error: RealtimeError): void {
    this.#failure = error;
    this.#ready = false;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.stop();
    this.#inbox.requests.rejectAll(error);
    this.#setState('disconnected', error.code);
    this.#report(error);
    this.#connecting?.reject(error);
    this.#connecting = undefined;
  }

  #onNotice(gen: number, code: number, message: string): void {
    if (gen !== this.#gen) return;
    if (code === IB_CODE.CONNECT_FAIL || code === IB_CODE.CLIENT_ID_IN_USE) this.#lastNotice = `error ${code}: ${message}`;
    this.#log({ type: 'ibkr.message.received', id: -1, code, message });
    if (code === IB_CODE.LINK_LOST) {
      this.#report(realtimeError('CONNECTION_LOST', `TWS lost its connection to IBKR (error 1100): orders cannot reach the market until it is restored`, this.#where({ ibCode: code })));
    } else if (code === IB_CODE.LINK_RESTORED_DATA_LOST && this.#ready) {
      // Data was lost between TWS and IBKR: rebuild positions, orders and executions from TWS.
      const api = this.#socket?.current()?.api;
      if (api) syncAfterConnect(this.#inbox, api, true).catch((e: unknown) => this.#report(realtimeError('CONNECTION_LOST', `resynchronisation after error 1101 failed: ${(e as Error).message}`, this.#where({}))));
    } else if (code === IB_CODE.UNKNOWN_ID) {
      this.#report(realtimeError('INVALID_MESSAGE', `a TWS message could not be decoded: ${message}`, this.#where({ ibCode: code })));
    }
  }

  #notify(update: OrderUpdate): void {
    this.#log({ type: 'ibkr.order.updated', order: update.order, ...(update.fill ? { fill: update.fill } : {}) });
    this.#updates.emit(update);
  }

  #requireReady(what: string): IBApi {
    const api = this.#socket?.current()?.api;
    if (this.#ready && api) return api;
    if (this.#failure) throw this.#failure;
    if (!this.#everReady) throw realtimeError('NOT_READY', `IBKR is not connected: call connect() before ${what}`, this.#where({}));
    throw realtimeError('CONNECTION_LOST', `the connection to TWS is down (reconnecting): ${what} is not possible now`, this.#where({}));
  }

  #until(ok: () => boolean, timeoutMs: number): Promise<void> {
    if (ok()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { timer.cancel(); this.#watchers.delete(check); resolve(); };
      const check = () => { if (ok() || !this.#socket) done(); };
      const timer = this.#clock.setTimeout(done, timeoutMs);
      this.#watchers.add(check);
    });
  }

  #poke(): void {
    for (const check of [...this.#watchers]) check();
  }

  #setState(state: ConnectionState, reason: string | null): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#log({ type: 'ibkr.connection.changed', state, ...(reason ? { reason } : {}) });
  }

  #report(error: RealtimeError): void {
    this.#log({ type: 'ibkr.error.reported', code: error.code, message: error.message, retryable: error.retryable });
    this.#errors.emit(error);
  }

  #log(event: LoggedEvent): void {
    this.#events.emit(event);
  }

  #where(extra: Record<string, unknown>): Record<string, unknown> {
    return { provider: this.name, host: this.config.host, port: this.config.port, clientId: this.config.client_id, ...extra };
  }
}

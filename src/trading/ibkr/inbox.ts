/**
 * What the IBKR provider does with TWS messages: `openOrder` / `orderStatus` advance orders (and recover orders
 * this process did not place), `execDetails` + `commissionReport` become fills, `position` and
 * `accountSummary` answers fill the book and the account cache, and errors carrying an order id reject the order
 * or answer a cancel. It also issues the requests whose answers it collects (positions, account summary).
 * Listeners are attached per socket generation; messages of an older socket are ignored.
 */
import type { EventName, CommissionReport, Contract, Execution, IBApi, Order as IbOrder, OrderState as IbOrderState } from '@stoqey/ib';
import { ib } from './ib-module.ts';
import type { OrderEvent } from '../../../machines/order.machine.ts';
import type { Clock, TimerHandle } from '../../clock.ts';
import { realtimeError } from '../../errors.ts';
import type { LoggedEvent } from '../../events/fold.ts';
import type { OrderUpdate } from '../trading-provider.ts';
import { IbkrBook } from './book.ts';
import { ACCOUNT_SUMMARY_TAGS, CANCEL_REFUSED_CODES, IB_CODE, isNotice } from './messages.ts';
import { parseTwsTime, requestOf, sideOfExecution, statusEvent } from './parse.ts';
import { PendingRequests } from './requests.ts';
import type { SyncHost } from './sync.ts';

/** What the inbox needs from the provider. */
export interface InboxHost {
  readonly clock: Clock;
  readonly now: () => number;
  readonly clientId: number;
  readonly requestTimeoutMs: number;
  /** The account traded (set by the handshake). */
  account(): string;
  /** TWS announced the next valid order id. */
  nextValidId(id: number): void;
  /** An order changed: tell the listeners. */
  notify(update: OrderUpdate): void;
  /** A fact for the event log. */
  log(event: LoggedEvent): void;
  /** Something changed: re-check whoever waits for a condition. */
  poke(): void;
}

/** An account summary answer: tag → value and currency. */
export type SummaryValues = Map<string, { readonly value: string; readonly currency: string }>;

// TWS sends the commission report right after the execution; an execution without one still becomes a fill.
const COMMISSION_WAIT_MS = 2_000;

/** The TWS message handler and the state it builds. */
export class TwsInbox implements SyncHost {
  readonly book = new IbkrBook();
  readonly requests: PendingRequests;
  readonly #host: InboxHost;
  readonly #cancelRefused = new Set<number>();
  readonly #commissionTimers = new Map<string, TimerHandle>();
  #gen = -1;
  #positionsBuffer: Map<string, { quantity: number; averageCost: number }> | undefined;
  #summary: { reqId: number; values: SummaryValues } | undefined;
  /** Order ids TWS listed as open during a synchronisation. */
  syncSeen: Set<number> | undefined;
  /** A fill happened since the last complete positions answer. */
  positionsDirty = true;
  /** The last complete account summary and when it arrived. */
  account: { at: number; values: SummaryValues } | undefined;

  constructor(host: InboxHost) {
    this.#host = host;
    this.requests = new PendingRequests(host.clock);
  }

  get clientId(): number { return this.#host.clientId; }
  get requestTimeoutMs(): number { return this.#host.requestTimeoutMs; }
  get accountId(): string { return this.#host.account(); }
  get now(): () => number { return this.#host.now; }

  /** Applies an order event and tells listeners. */
  apply(id: number, event: OrderEvent): void {
    const update = this.book.apply(id, event);
    if (update) this.#host.notify(update);
  }

  /** True once TWS answered a cancel of order `id` with "cannot cancel"; cleared by `expectCancel`. */
  cancelRefused(id: number): boolean {
    return this.#cancelRefused.has(id);
  }

  /** A cancel of order `id` is about to be sent. */
  expectCancel(id: number): void {
    this.#cancelRefused.delete(id);
  }

  /** Requests positions (cancelling the running subscription first when `refresh`); resolves at `positionEnd`. */
  requestPositions(api: IBApi, refresh: boolean): Promise<void> {
    return this.requests.request('positions', 'reqPositions', this.requestTimeoutMs, () => {
      this.#positionsBuffer = new Map();
      this.positionsDirty = false;
      if (refresh) api.cancelPositions();
      api.reqPositions();
    });
  }

  /** Requests the account summary once (cancelled at its end); resolves when `account` is fresh. */
  async requestSummary(api: IBApi): Promise<void> {
    const reqId = this.requests.nextId();
    this.#summary = { reqId, values: new Map() };
    await this.requests.request(reqId, 'reqAccountSummary', this.requestTimeoutMs, () => api.reqAccountSummary(reqId, 'All', ACCOUNT_SUMMARY_TAGS.join(',')));
  }

  /** Stops the commission timers (the provider is closing). */
  close(): void {
    for (const t of this.#commissionTimers.values()) t.cancel();
    this.#commissionTimers.clear();
  }

  /** Listens to the client of socket `gen`; from now on, messages of older sockets are ignored. */
  attach(api: IBApi, gen: number): void {
    this.#gen = gen;
    const on = <A extends unknown[]>(event: EventName, handler: (...args: A) => void) =>
      api.on(event as never, ((...args: A) => {
        if (gen !== this.#gen) return;
        handler(...args);
        this.#host.poke();
      }) as never);
    on(ib().EventName.nextValidId, (id: number) => this.#host.nextValidId(id));
    on(ib().EventName.openOrder, (id: number, contract: Contract, order: IbOrder, state: IbOrderState) => this.#onOpenOrder(id, contract, order, state));
    on(ib().EventName.orderStatus, (id: number, status: string) => this.#onStatus(id, status));
    on(ib().EventName.openOrderEnd, () => this.requests.resolve('openOrders'));
    on(ib().EventName.execDetails, (_reqId: number, contract: Contract, exec: Execution) => this.#onExecution(contract, exec));
    on(ib().EventName.execDetailsEnd, (reqId: number) => this.requests.resolve(reqId));
    on(ib().EventName.commissionReport, (report: CommissionReport) => {
      if (report.execId && this.book.awaitsCommission(report.execId)) this.#completeExecution(report.execId, report.commission ?? 0, report.realizedPNL);
    });
    on(ib().EventName.position, (account: string, contract: Contract, quantity: number, averageCost?: number) => {
      if (account !== this.accountId || !contract.symbol) return;
      const p = { quantity: quantity ?? 0, averageCost: averageCost ?? 0 };
      if (this.#positionsBuffer) this.#positionsBuffer.set(contract.symbol, p);
      else this.book.setPosition(contract.symbol, p.quantity, p.averageCost);
    });
    on(ib().EventName.positionEnd, () => {
      if (this.#positionsBuffer) this.book.setPositions(this.#positionsBuffer);
      this.#positionsBuffer = undefined;
      this.requests.resolve('positions');
    });
    on(ib().EventName.accountSummary, (reqId: number, account: string, tag: string, value: string, currency: string) => {
      if (this.#summary?.reqId === reqId && account === this.accountId) this.#summary.values.set(tag, { value, currency });
    });
    on(ib().EventName.accountSummaryEnd, (reqId: number) => {
      if (this.#summary?.reqId !== reqId) return;
      api.cancelAccountSummary(reqId);
      this.account = { at: this.now(), values: this.#summary.values };
      this.requests.resolve(reqId);
    });
    on(ib().EventName.error, (error: Error, code: number, reqId: number) => {
      if (reqId !== undefined && reqId >= 0) this.#onRequestError(reqId, code, error.message);
    });
  }

  #onRequestError(id: number, code: number, message: string): void {
    this.#host.log({ type: 'ibkr.message.received', id, code, message });
    const order = this.book.order(id);
    if (order) {
      const reason = `${message} (error ${code})`;
      this.book.noteMessage(id, reason);
      if (CANCEL_REFUSED_CODES.has(code)) this.#cancelRefused.add(id);
      // Before TWS acknowledged an order, any error but a notice refuses it; afterwards only 201 does.
      else if (!isNotice(code) && (order.status === 'submitted' || code === IB_CODE.ORDER_REJECTED)) this.apply(id, { type: 'order.rejected', reason, at: this.now() });
      return;
    }
    if (this.requests.has(id)) this.requests.reject(id, realtimeError('REQUEST_REFUSED', `TWS refused request ${id}: ${message} (error ${code})`, { ibCode: code }));
  }

  #onOpenOrder(id: number, contract: Contract, order: IbOrder, state: IbOrderState): void {
    if ((order.clientId !== undefined && order.clientId !== this.clientId) || (order.account && order.account !== this.accountId)) return;
    this.syncSeen?.add(id);
    if (!this.book.order(id)) {
      const request = requestOf(contract, order);
      if (!request) return;
      this.book.add(id, request, this.now());
      this.#host.log({ type: 'ibkr.order.recovered', orderId: id, request });
    }
    if (state.status) this.#onStatus(id, state.status);
  }

  #onStatus(id: number, status: string): void {
    const order = this.book.order(id);
    if (!order) return;
    const event = statusEvent(status, this.now(), this.book.lastMessage(id), order.context.cancelRequestedAt !== undefined);
    if (event) this.apply(id, event);
  }

  #onExecution(contract: Contract, exec: Execution): void {
    const side = sideOfExecution(exec.side);
    if (!exec.execId || exec.orderId === undefined || !contract.symbol || !side || (exec.acctNumber && exec.acctNumber !== this.accountId)) return;
    // TWS's execution time, whether pushed or replayed, so fills recovered after a reconnect sort where they
    // happened; TWS prints whole seconds, so a fill is never stamped before the order it fills was placed.
    const tws = parseTwsTime(exec.time);
    const placedAt = this.book.order(exec.orderId)?.context.createdAt;
    const at = tws === undefined ? this.now() : Math.max(tws, placedAt ?? tws);
    const fresh = this.book.addExecution({ execId: exec.execId, orderId: exec.orderId, symbol: contract.symbol, side, shares: exec.shares ?? 0, price: exec.price ?? 0, at });
    if (!fresh) return;
    const execId = exec.execId;
    this.#commissionTimers.set(execId, this.#host.clock.setTimeout(() => this.#completeExecution(execId, 0, undefined), COMMISSION_WAIT_MS));
  }

  #completeExecution(execId: string, fee: number, realizedPnl: number | undefined): void {
    this.#commissionTimers.get(execId)?.cancel();
    this.#commissionTimers.delete(execId);
    const done = this.book.completeExecution(execId, fee, realizedPnl);
    if (!done) return;
    this.positionsDirty = true;
    this.#host.log({ type: 'ibkr.execution.reported', execId, fill: done.fill });
    if (done.update) this.#host.notify(done.update);
    this.#host.poke();
  }
}

/**
 * The TWS-protocol simulator: a loopback TCP server speaking the TWS API socket protocol at server version 193
 * to `@stoqey/ib` (or any TWS API client), over the simulated account of `broker.ts`. It answers the handshake,
 * `nextValidId`, `managedAccounts`, `placeOrder` / `cancelOrder` (with `openOrder`, `orderStatus`,
 * `execDetails` and `commissionReport`), `reqOpenOrders`, `reqAllOpenOrders`, `reqExecutions`, `reqPositions`,
 * `reqAccountSummary`, `reqIds` and `reqCurrentTime`; other requests are recorded and ignored. Faults: a second
 * connection with a client id in use is refused (326), sockets can be dropped or hung, the next order rejected
 * (201), and the TWS-to-IB link reported lost and restored (1100 / 1101 / 1102).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SimBroker, twsTime, type BrokerOutput, type SimExecution, type SimOrder, type SimPosition } from './broker.ts';
import { SimConnection, type ConnectionHost, type SimConnectionInfo } from './connection.ts';
import {
  accountSummary, accountSummaryEnd, commissionReport, currentTime, errorMessage, execDetails, execDetailsEnd, managedAccounts,
  nextValidId, openOrder, openOrderEnd, orderStatus, position, positionEnd, SERVER_VERSION, type ClientRequest,
} from './messages.ts';

/** Options of {@link startIbkrSimulator}; every field has a default. */
export interface IbkrSimulatorOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Accounts of the login; paper account ids start with D. */
  readonly accounts: readonly string[];
  readonly initialCash: number;
  readonly currency: string;
  /** Starting prices per symbol (market orders need one). */
  readonly prices: Readonly<Record<string, number>>;
  /** IBKR Fixed pricing: per share, at least `minCommission`, at most `maxCommissionRate` of the trade value. */
  readonly commissionPerShare: number;
  readonly minCommission: number;
  readonly maxCommissionRate: number;
  /** `nextValidId` of a client id that never placed an order. */
  readonly firstOrderId: number;
  /** Clock of execution and connection times. */
  readonly now: () => number;
}

/** The defaults: one paper account with a million dollars, IBKR Fixed commissions. */
export const DEFAULT_IBKR_SIMULATOR_OPTIONS: IbkrSimulatorOptions = {
  host: '127.0.0.1', port: 0, accounts: ['DU1234567'], initialCash: 1_000_000, currency: 'USD',
  prices: { AAPL: 190, MSFT: 410, SPY: 520 }, commissionPerShare: 0.005, minCommission: 1, maxCommissionRate: 0.01,
  firstOrderId: 1, now: () => Date.now(),
};

/** One request a client sent, as recorded for tests. */
export interface RecordedRequest {
  readonly connectionId: number;
  readonly clientId: number | undefined;
  readonly type: ClientRequest['type'];
}

/** Events the simulator emits, with their payloads. */
export interface IbkrSimulatorEvents {
  /** After a request was recorded and handled (answers sent), so listeners see its effect. */
  request: [RecordedRequest];
}

/** A running TWS simulator. */
export class IbkrSimulator extends EventEmitter<IbkrSimulatorEvents> {
  readonly options: IbkrSimulatorOptions;
  readonly port: number;
  readonly host: string;
  /** The simulated account, orders and prices. */
  readonly broker: SimBroker;
  /** Every request received after `startApi`, plus every `startApi` (accepted or refused), in order. */
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #connections = new Set<SimConnection>();
  readonly #clientIds = new Map<number, SimConnection>();
  #nextConnectionId = 1;
  #closing: Promise<void> | undefined;

  /** Use {@link startIbkrSimulator}; the server must already listen. */
  constructor(options: IbkrSimulatorOptions, server: Server) {
    super();
    this.options = options;
    this.#server = server;
    this.host = options.host;
    this.port = (server.address() as AddressInfo).port;
    this.broker = new SimBroker(options, options.prices);
    server.on('connection', (socket: Socket) => this.#connections.add(new SimConnection(this.#nextConnectionId++, socket, this.#host)));
  }

  /** Sets the price of a symbol; working limit and stop orders it crosses fill and their owners are told. */
  setPrice(symbol: string, price: number): void {
    this.#route(this.broker.setPrice(symbol, price));
  }

  /** The next order placed is rejected with error 201 and this reason. */
  rejectNextOrder(reason = 'simulated rejection'): void {
    this.broker.rejectNextOrder(reason);
  }

  /** Fault: the next `count` fills each execute half of what is left of their order; a later `setPrice` fills the rest. */
  partialNextFills(count = 1): void {
    this.broker.partialNextFills(count);
  }

  /** Fault: the next `count` orders placed are lost on the way in (never answered, never listed as open). */
  loseNextOrders(count = 1): void {
    this.broker.loseNextOrders(count);
  }

  /** Fault: the next `count` orders placed work, but TWS never acknowledges them (no openOrder, no orderStatus). */
  silenceNextOrders(count = 1): void {
    this.broker.silenceNextOrders(count);
  }

  /** Cancels an order at TWS's own initiative (a DAY order at the close, a cancel from TWS's window): 202 and Cancelled. */
  cancelAtTws(clientId: number, orderId: number): void {
    this.#route(this.broker.cancel(clientId, orderId));
  }

  /** Cuts every client socket (or those matching `filter`) without a goodbye. */
  dropConnections(filter: (c: SimConnectionInfo) => boolean = () => true): number {
    const victims = [...this.#connections].filter((c) => filter(c.info()));
    for (const c of victims) c.destroy();
    return victims.length;
  }

  /** Hangs every client connection (or those matching `filter`): open sockets that never answer again. */
  stallConnections(filter: (c: SimConnectionInfo) => boolean = () => true): number {
    const victims = [...this.#connections].filter((c) => filter(c.info()));
    for (const c of victims) c.stall();
    return victims.length;
  }

  /** Reports the TWS-to-IB link lost (1100), or restored with data lost (1101) or kept (1102), to every client. */
  setVenueLink(up: boolean, dataLost = false): void {
    const [code, text] = !up ? [1100, 'Connectivity between IB and Trader Workstation has been lost.']
      : dataLost ? [1101, 'Connectivity between IB and Trader Workstation has been restored - data lost.']
        : [1102, 'Connectivity between IB and Trader Workstation has been restored - data maintained.'];
    for (const c of this.#connections) if (c.started) c.send(errorMessage(-1, code, text));
  }

  /** Open connections that completed `startApi`. */
  connections(): SimConnectionInfo[] {
    return [...this.#connections].filter((c) => c.started).map((c) => c.info());
  }

  /** How many requests of a type were received (from one client id, or all). */
  requestCount(type: ClientRequest['type'], clientId?: number): number {
    return this.requests.filter((r) => r.type === type && (clientId === undefined || r.clientId === clientId)).length;
  }

  /** Orders at the simulated TWS, in placement order. */
  orders(): SimOrder[] {
    return this.broker.orders();
  }

  /** Positions, closed ones (quantity 0) included. */
  positions(): SimPosition[] {
    return this.broker.positions();
  }

  /** Executions, oldest first. */
  executions(): SimExecution[] {
    return this.broker.executions();
  }

  /** Closes every connection and the server; safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const c of this.#connections) c.destroy();
      this.#server.close(() => resolve());
    });
    return this.#closing;
  }

  get #host(): ConnectionHost {
    return {
      serverVersion: SERVER_VERSION,
      accounts: this.options.accounts,
      connectionTime: () => twsTime(this.options.now()),
      claim: (connection, clientId) => {
        const holder = this.#clientIds.get(clientId);
        const free = !holder || !holder.open;
        const record: RecordedRequest = { connectionId: connection.id, clientId, type: 'startApi' };
        this.requests.push(record);
        if (free) this.#clientIds.set(clientId, connection);
        this.emit('request', record);
        return free;
      },
      nextOrderId: (clientId) => this.broker.nextOrderId(clientId),
      handle: (connection, request) => {
        const record: RecordedRequest = { connectionId: connection.id, clientId: connection.clientId, type: request.type };
        this.requests.push(record);
        this.#handle(connection, request);
        this.emit('request', record);
      },
      closed: (connection) => {
        this.#connections.delete(connection);
        if (connection.clientId !== undefined && this.#clientIds.get(connection.clientId) === connection) this.#clientIds.delete(connection.clientId);
      },
    };
  }

  #handle(c: SimConnection, r: ClientRequest): void {
    const clientId = c.clientId!;
    if (c.stalled) return;
    switch (r.type) {
      case 'placeOrder': return this.#route(this.broker.place(clientId, r));
      case 'cancelOrder': return this.#route(this.broker.cancel(clientId, r.orderId));
      case 'reqIds': return c.send(nextValidId(this.broker.nextOrderId(clientId)));
      case 'reqManagedAccts': return c.send(managedAccounts(this.options.accounts));
      case 'reqCurrentTime': return c.send(currentTime(Math.floor(this.options.now() / 1000)));
      case 'reqOpenOrders':
      case 'reqAllOpenOrders':
        for (const o of this.broker.orders(r.type === 'reqOpenOrders' ? clientId : undefined, true)) {
          c.send(openOrder(o));
          c.send(orderStatus(o));
        }
        return c.send(openOrderEnd());
      case 'reqExecutions':
        for (const e of this.broker.executions({ clientId: r.clientId, account: r.account, symbol: r.symbol, side: r.side })) {
          c.send(execDetails(r.reqId, e));
          c.send(commissionReport(e));
        }
        return c.send(execDetailsEnd(r.reqId));
      case 'reqPositions':
        c.positionsSubscribed = true;
        for (const p of this.broker.positions()) c.send(position(p.account, p.contract, p.quantity, p.averageCost));
        return c.send(positionEnd());
      case 'cancelPositions':
        c.positionsSubscribed = false;
        return;
      case 'reqAccountSummary':
        c.summaries.set(r.reqId, r.tags);
        return this.#sendSummary(c, r.reqId, r.tags);
      case 'cancelAccountSummary':
        c.summaries.delete(r.reqId);
        return;
      default:
        return;
    }
  }

  #sendSummary(c: SimConnection, reqId: number, tags: readonly string[]): void {
    for (const account of this.options.accounts) {
      for (const [tag, value, ccy] of this.broker.summary(account, tags)) c.send(accountSummary(reqId, account, tag, value, ccy));
    }
    c.send(accountSummaryEnd(reqId));
  }

  #owner(clientId: number): SimConnection | undefined {
    const c = this.#clientIds.get(clientId);
    return c?.open ? c : undefined;
  }

  /** Sends each broker fact to whom TWS would: order facts to the placing client, positions and summaries to subscribers. */
  #route(outputs: readonly BrokerOutput[]): void {
    for (const out of outputs) {
      switch (out.kind) {
        case 'orderError':
          this.#owner(out.clientId)?.send(errorMessage(out.orderId, out.code, out.message));
          break;
        case 'order': {
          const owner = this.#owner(out.order.clientId);
          owner?.send(openOrder(out.order));
          owner?.send(orderStatus(out.order));
          break;
        }
        case 'execution': {
          const owner = this.#owner(out.execution.clientId);
          owner?.send(execDetails(-1, out.execution));
          owner?.send(commissionReport(out.execution));
          break;
        }
        case 'position':
          for (const c of this.#connections) {
            if (c.started && c.positionsSubscribed) c.send(position(out.position.account, out.position.contract, out.position.quantity, out.position.averageCost));
          }
          break;
        case 'account':
          // TWS refreshes subscribed summaries every few minutes; the simulator pushes at once, which is a subset.
          for (const c of this.#connections) for (const [reqId, tags] of c.summaries) this.#sendSummary(c, reqId, tags);
          break;
      }
    }
  }
}

/** Starts a TWS simulator on loopback (port 0 by default) and resolves once it listens. */
export const startIbkrSimulator = async (options: Partial<IbkrSimulatorOptions> = {}): Promise<IbkrSimulator> => {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: IbkrSimulatorOptions = { ...DEFAULT_IBKR_SIMULATOR_OPTIONS, ...defined };
  if (resolved.accounts.length === 0) throw new RangeError('the simulator needs at least one account');
  if (!(resolved.initialCash >= 0)) throw new RangeError('initialCash must be ≥ 0');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new IbkrSimulator(resolved, server);
};

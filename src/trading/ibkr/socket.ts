/**
 * The TWS connection of the IBKR provider: the shared connection machine driving one `@stoqey/ib` client per
 * socket generation. This is the only code that creates, connects or closes an `IBApi`. The machine's actions
 * open a socket (`connect(clientId)`), close it, and run the API handshake (wait for `managedAccounts` and
 * `nextValidId`); the client's events come back as `socket.*` / `handshake.*` events tagged with the
 * generation, so a late event of a dead socket never moves the machine. TWS has no heartbeat: a `reqCurrentTime`
 * probe keeps answers flowing, and any message counts as activity for the machine's idle watchdog.
 *
 * Error 326 (client id in use) is fatal before the first successful connection (a configuration conflict) but
 * retryable on a reconnect, where the id is most likely still held by our own half-closed previous socket.
 */
import type { IBApi } from '@stoqey/ib';
import { ib } from './ib-module.ts';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { connectionMachine, type ConnectionPolicy } from '../../../machines/connection.machine.ts';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { ErrorCode } from '../../errors.ts';
import { IB_CODE } from './messages.ts';

/** What the TWS login said during the handshake. */
export interface HandshakeInfo {
  readonly accounts: readonly string[];
  readonly nextOrderId: number;
}

/** What the provider plugs into the connection. */
export interface IbkrSocketHooks {
  /** Adds the provider's listeners to the client of socket `gen` (removed when it closes). */
  readonly attach: (api: IBApi, gen: number) => void;
  /** Checks the handshake; a returned failure is fatal (wrong account, not a paper account). */
  readonly checkHandshake: (info: HandshakeInfo) => { readonly code: ErrorCode; readonly message: string } | undefined;
  /** A message TWS or the library reported without a request id (-1), or a socket error. */
  readonly onNotice: (gen: number, code: number, message: string) => void;
}

/** How to reach TWS. */
export interface IbkrSocketOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly policy: ConnectionPolicy;
  readonly keepaliveMs: number;
  readonly seed: number;
  readonly clock: Clock;
  readonly hooks: IbkrSocketHooks;
  readonly inspect?: (event: InspectionEvent) => void;
}

/** The connection actor type. */
export type IbkrConnectionActor = Actor<typeof connectionMachine>;

interface Generation {
  readonly api: IBApi;
  accounts?: readonly string[];
  nextOrderId?: number;
  handshaking: boolean;
  lastActivity: number;
  keepalive?: TimerHandle;
}

/** One logical TWS connection, reopened by the connection machine after every loss. */
export class IbkrSocket {
  readonly actor: IbkrConnectionActor;
  readonly #o: IbkrSocketOptions;
  readonly #gens = new Map<number, Generation>();
  #everConnected = false;

  constructor(options: IbkrSocketOptions) {
    this.#o = options;
    const machine = connectionMachine.provide({
      actions: {
        openSocket: (_, { gen }) => this.#open(gen),
        closeSocket: (_, { gen }) => this.#close(gen),
        startHandshake: (_, { gen }) => this.#startHandshake(gen),
      },
    });
    this.actor = createActor(machine, {
      input: { policy: options.policy, seed: options.seed, subscriptions: { controlPerSecond: 1, ackTimeoutMs: options.policy.handshakeTimeoutMs, maxStreamsPerMessage: 1 } },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.actor.on('connection.state', (ev) => {
      if (ev.state === 'connected') this.#everConnected = true;
    });
  }

  /** The client of the open socket, with its generation, or undefined while not connected. */
  current(): { readonly api: IBApi; readonly gen: number } | undefined {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status !== 'active' || !snapshot.matches('open')) return undefined;
    const gen = snapshot.context.gen;
    const g = this.#gens.get(gen);
    return g ? { api: g.api, gen } : undefined;
  }

  /** Starts the actor and the first connection. */
  start(): void {
    this.actor.start();
    this.actor.send({ type: 'connection.start' });
  }

  /** Stops the actor, closing the socket. */
  stop(): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'connection.stop' });
    for (const gen of [...this.#gens.keys()]) this.#close(gen);
    this.actor.stop();
  }

  #live(gen: number): boolean {
    return this.#gens.has(gen) && this.actor.getSnapshot().status === 'active';
  }

  #open(gen: number): void {
    const api = new (ib().IBApi)({ host: this.#o.host, port: this.#o.port });
    const g: Generation = { api, handshaking: false, lastActivity: 0 };
    this.#gens.set(gen, g);
    const send = (event: Parameters<IbkrConnectionActor['send']>[0]) => {
      if (this.#live(gen)) this.actor.send(event);
    };
    api.on(ib().EventName.connected, () => send({ type: 'socket.opened', gen }));
    api.on(ib().EventName.disconnected, () => send({ type: 'socket.closed', gen, code: 1006, reason: 'socket closed' }));
    api.on(ib().EventName.received, () => {
      // The watchdog only needs to hear of life a few times per idle period; every message would flood the actor.
      const now = this.#o.clock.now();
      if (now - g.lastActivity < this.#o.keepaliveMs / 4) return;
      g.lastActivity = now;
      send({ type: 'socket.activity', gen });
    });
    api.on(ib().EventName.managedAccounts, (list: string) => {
      g.accounts = list.split(',').map((a) => a.trim()).filter(Boolean);
      this.#maybeHandshaken(gen);
    });
    api.on(ib().EventName.nextValidId, (id: number) => {
      g.nextOrderId = id;
      this.#maybeHandshaken(gen);
    });
    // TWS messages about no request arrive as `info` (id -1); socket errors of the library as `error`.
    const notice = (code: number, message: string) => {
      if (!this.#live(gen)) return;
      if (code === IB_CODE.CLIENT_ID_IN_USE) {
        send({
          type: 'handshake.failed', gen, fatal: !this.#everConnected, code: 'CONNECTION_FAILED',
          message: `TWS refused client id ${this.#o.clientId}: it is already in use by another API connection (error 326); set a unique client_id`,
        });
      }
      this.#o.hooks.onNotice(gen, code, message);
    };
    api.on(ib().EventName.info, (message: string, code: number) => notice(code, message));
    api.on(ib().EventName.error, (error: Error, code: number, reqId: number) => {
      if (reqId === -1 || reqId === undefined) notice(code, error.message);
    });
    this.#o.hooks.attach(api, gen);
    api.connect(this.#o.clientId);
  }

  #startHandshake(gen: number): void {
    const g = this.#gens.get(gen);
    if (!g) return;
    g.handshaking = true;
    this.#maybeHandshaken(gen);
  }

  #maybeHandshaken(gen: number): void {
    const g = this.#gens.get(gen);
    if (!g?.handshaking || g.accounts === undefined || g.nextOrderId === undefined || !this.#live(gen)) return;
    g.handshaking = false;
    const failure = this.#o.hooks.checkHandshake({ accounts: g.accounts, nextOrderId: g.nextOrderId });
    if (failure) {
      this.actor.send({ type: 'handshake.failed', gen, fatal: true, ...failure });
      return;
    }
    this.actor.send({ type: 'handshake.succeeded', gen });
    this.#armKeepalive(gen);
  }

  #armKeepalive(gen: number): void {
    const g = this.#gens.get(gen);
    if (!g) return;
    g.keepalive = this.#o.clock.setTimeout(() => {
      if (!this.#live(gen)) return;
      g.api.reqCurrentTime();
      this.#armKeepalive(gen);
    }, this.#o.keepaliveMs);
  }

  #close(gen: number): void {
    const g = this.#gens.get(gen);
    if (!g) return;
    this.#gens.delete(gen);
    g.keepalive?.cancel();
    g.api.removeAllListeners();
    g.api.disconnect();
  }
}

/**
 * One API client connection to the TWS simulator: the handshake (version range → server version and connection
 * time; `startApi` with the client id → `managedAccounts`, `nextValidId` and the data-farm notices TWS sends, or
 * error 326 and a closed socket when the client id is taken), then decoded requests handed to the simulator.
 * The connection keeps what the client subscribed to (positions, account summaries) so updates can be pushed.
 */
import type { Socket } from 'node:net';
import { errorMessage, managedAccounts, nextValidId, parseRequest, serverHello, type ClientRequest } from './messages.ts';
import { encodeMessage, FrameReader, type Field } from './wire.ts';

/** What a connection needs from the simulator. */
export interface ConnectionHost {
  readonly serverVersion: number;
  readonly accounts: readonly string[];
  /** TWS prints the connection time as `yyyyMMdd HH:mm:ss <zone>`. */
  connectionTime(): string;
  /** Takes the client id for this connection; false when another open connection holds it. */
  claim(connection: SimConnection, clientId: number): boolean;
  nextOrderId(clientId: number): number;
  handle(connection: SimConnection, request: ClientRequest): void;
  closed(connection: SimConnection): void;
}

/** Public facts about a connection. */
export interface SimConnectionInfo {
  readonly id: number;
  readonly clientId: number | undefined;
  readonly started: boolean;
}

// Sent by TWS right after the API starts; clients treat them as information (codes 2104, 2106, 2158).
const FARM_NOTICES: readonly [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

/** A client connection to the simulator. */
export class SimConnection {
  readonly id: number;
  clientId: number | undefined;
  /** True after `reqPositions` until `cancelPositions`. */
  positionsSubscribed = false;
  /** Account summary subscriptions: request id → tags. */
  readonly summaries = new Map<number, readonly string[]>();
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #reader = new FrameReader();
  /** A hung TWS: the socket stays open, requests are swallowed and nothing is sent. */
  #stalled = false;
  #greeted = false;
  #started = false;
  #open = true;

  constructor(id: number, socket: Socket, host: ConnectionHost) {
    this.id = id;
    this.#socket = socket;
    this.#host = host;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#open = false;
      host.closed(this);
    });
  }

  /** True once `startApi` was accepted. */
  get started(): boolean {
    return this.#started;
  }

  /** True once hung by {@link SimConnection.stall}. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** True until the socket closes. */
  get open(): boolean {
    return this.#open;
  }

  /** Public facts about the connection. */
  info(): SimConnectionInfo {
    return { id: this.id, clientId: this.clientId, started: this.#started };
  }

  /** Writes one message. */
  send(fields: readonly Field[]): void {
    if (this.#open && !this.#stalled && !this.#socket.destroyed) this.#socket.write(encodeMessage(fields));
  }

  /** From now on, sends nothing and has requests ignored (still recorded), keeping the socket open (a hung TWS). */
  stall(): void {
    this.#stalled = true;
  }

  /** Ends the socket after what was written (a refusal TWS sends before closing). */
  end(): void {
    this.#socket.end();
  }

  /** Cuts the socket at once, as a network failure or a TWS crash would. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    for (const item of this.#reader.push(chunk)) {
      if (!this.#open) return;
      if (item.kind === 'garbage') {
        this.destroy();
        return;
      }
      if (item.kind === 'hello') {
        const v = this.#host.serverVersion;
        // TWS closes a client whose range does not include its version (the library then reports it).
        if (v < item.minVersion || v > item.maxVersion) {
          this.end();
          return;
        }
        this.#greeted = true;
        this.send(serverHello(v, this.#host.connectionTime()));
        continue;
      }
      if (!this.#greeted) return;
      const request = parseRequest(item.fields);
      if (!this.#started) {
        if (request.type === 'startApi') this.#start(request.clientId);
        continue;
      }
      this.#host.handle(this, request);
    }
  }

  #start(clientId: number): void {
    if (!this.#host.claim(this, clientId)) {
      this.send(errorMessage(-1, 326, 'Unable to connect as the client id is already in use. Retry with a unique client id.'));
      this.end();
      return;
    }
    this.clientId = clientId;
    this.#started = true;
    this.send(managedAccounts(this.#host.accounts));
    this.send(nextValidId(this.#host.nextOrderId(clientId)));
    for (const [code, text] of FARM_NOTICES) this.send(errorMessage(-1, code, text));
  }
}

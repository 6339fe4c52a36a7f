/** Test helpers for the Binance simulator: a WebSocket client that queues frames and a sim lifecycle hook. */
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorDeps, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';

/** A client that records every frame and lets a test await the next ones. */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #cursor = 0;
  readonly #wakers = new Set<() => void>();

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.frames.push(String(data));
      this.#wakeAll();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.#wakeAll();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Connects to `url` and resolves once open. */
  static async connect(url: string, options?: ClientOptions): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next unread frame (raw text). */
  async nextRaw(timeoutMs = 2_000): Promise<string> {
    await this.until(() => this.#cursor < this.frames.length || this.ws.readyState === WebSocket.CLOSED, 'a frame', timeoutMs);
    if (this.#cursor >= this.frames.length) throw new Error('connection closed while waiting for a frame');
    return this.frames[this.#cursor++]!;
  }

  /** Resolves once `check()` holds, re-checked on every frame and on close; rejects after `timeoutMs`. */
  until(check: () => boolean, what = 'a condition', timeoutMs = 2_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (check()) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
      };
      const wake = (): void => {
        if (!check()) return;
        done();
        resolve();
      };
      // A failure bound only: in a passing run the wait ends on a frame or the close.
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#wakers.add(wake);
    });
  }

  /** The next unread frame, parsed. */
  async next<T = any>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.nextRaw(timeoutMs)) as T;
  }

  /** The next `count` frames, raw. */
  async takeRaw(count: number, timeoutMs?: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(await this.nextRaw(timeoutMs));
    return out;
  }

  /** The next `count` frames, parsed. */
  async take<T = any>(count: number, timeoutMs?: number): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next<T>(timeoutMs));
    return out;
  }

  /** Sends a control request and returns every frame received before its reply, and the reply. */
  async request<T = any>(message: { id: number | string | null } & Record<string, unknown>): Promise<{ before: any[]; reply: T }> {
    this.send(message);
    const before: any[] = [];
    for (;;) {
      const frame = await this.next();
      if (frame && typeof frame === 'object' && 'id' in frame && frame.id === message.id) return { before, reply: frame as T };
      before.push(frame);
    }
  }

  /** Frames not read yet. */
  unread(): string[] {
    return this.frames.slice(this.#cursor);
  }

  close(): void {
    this.ws.terminate();
  }

  #wakeAll(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}

/** Starts simulators for a test file and closes them (and clients) after each test. */
export const useSimulators = () => {
  const sims: BinanceSimulator[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  return {
    start: async (options: Partial<BinanceSimulatorOptions> = {}, deps: BinanceSimulatorDeps = {}): Promise<BinanceSimulator> => {
      const sim = await startBinanceSimulator({ paused: true, ...options }, deps);
      sims.push(sim);
      return sim;
    },
    connect: async (url: string, options?: ClientOptions): Promise<TestClient> => {
      const client = await TestClient.connect(url, options);
      clients.push(client);
      return client;
    },
  };
};

/** Anything with Node's `on`/`off` listener methods (a simulator, a WebSocket). */
export interface Listenable {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Resolves once `check()` holds, re-checked each time `source` emits `event`; rejects after `timeoutMs`. */
export const whenEmitted = (source: Listenable, event: string, check: () => boolean, timeoutMs = 2_000): Promise<void> =>
  new Promise((resolve, reject) => {
    if (check()) return resolve();
    const wake = (): void => {
      if (!check()) return;
      source.off(event, wake);
      clearTimeout(timer);
      resolve();
    };
    // A failure bound only: in a passing run the wait ends on the event.
    const timer = setTimeout(() => {
      source.off(event, wake);
      reject(new Error(`timed out waiting for a '${event}' after which the condition holds`));
    }, timeoutMs);
    source.on(event, wake);
  });

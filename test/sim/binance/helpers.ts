/** Test helpers for the Binance simulator: a WebSocket client that queues frames and a sim lifecycle hook. */
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { startBinanceSimulator, type BinanceSimulator, type BinanceSimulatorOptions } from '../../../src/sim/binance/index.ts';

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
    const deadline = Date.now() + timeoutMs;
    while (this.#cursor >= this.frames.length) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#wakers.add(wake);
      });
    }
    return this.frames[this.#cursor++]!;
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
    start: async (options: Partial<BinanceSimulatorOptions> = {}): Promise<BinanceSimulator> => {
      const sim = await startBinanceSimulator({ paused: true, ...options });
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

/** Resolves after `ms` wall milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export const eventually = async (check: () => boolean, timeoutMs = 2_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
};

/** A writer backend whose flushes and final close the test settles by hand, for BufferedWriter tests. */
import type { FlushInput, FlushOutput } from '../../machines/writer.machine.ts';
import type { WriterBackend } from '../../src/storage/buffered-writer.ts';

/** One flush the writer started, waiting for the test to resolve or reject it. */
export interface FlushCall {
  readonly input: FlushInput;
  readonly resolve: (o: FlushOutput) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * The backend, the flushes not yet taken, and `next()`, which resolves with the next flush as soon as the machine
 * starts it (a retry starts when its backoff timer fires: the flush call itself is the event waited for).
 * `closeStore` succeeds unless `failClose` is given.
 */
export const manualBackend = (failClose?: Error) => {
  const calls: FlushCall[] = [];
  const waiting: ((call: FlushCall) => void)[] = [];
  let closed = 0;
  const backend: WriterBackend = {
    flushBatch: (input) => new Promise((resolve, reject) => {
      const call = { input, resolve, reject };
      const waiter = waiting.shift();
      if (waiter) waiter(call);
      else calls.push(call);
    }),
    closeStore: async () => {
      closed++;
      if (failClose) throw failClose;
    },
  };
  const next = (): Promise<FlushCall> => {
    const call = calls.shift();
    return call ? Promise.resolve(call) : new Promise((resolve) => waiting.push(resolve));
  };
  return { backend, calls, next, closedCount: () => closed };
};

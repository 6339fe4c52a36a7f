/**
 * A raw `@stoqey/ib` client for simulator tests: records every event with its arguments, and every decoding
 * error the library reports (a field too many or too few in a simulator message shows up as one of those).
 */
import { ErrorCode, EventName, IBApi } from '@stoqey/ib';

/** One event the client emitted. */
export interface Seen {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** A connected client and what it saw. */
export class RawClient {
  readonly api: IBApi;
  readonly seen: Seen[] = [];

  constructor(port: number) {
    this.api = new IBApi({ host: '127.0.0.1', port });
    // `all` carries every event, errors and notices included; errors are kept as [message, code, reqId].
    this.api.on(EventName.all, (name: string, args: unknown[]) => {
      this.seen.push({ name, args: name === 'error' ? [(args[0] as Error).message, args[1], args[2]] : args });
    });
  }

  /** Connects with a client id and resolves once `nextValidId` arrived. */
  static async connect(port: number, clientId: number): Promise<RawClient> {
    const client = new RawClient(port);
    client.api.connect(clientId);
    await client.waitFor('nextValidId');
    return client;
  }

  /** Events of one name. */
  events(name: string): Seen[] {
    return this.seen.filter((s) => s.name === name);
  }

  /** Errors the library raised while decoding (UNKNOWN_ID 505: underrun, unprocessed fields, unknown message). */
  decodingErrors(): Seen[] {
    return this.seen.filter((s) => s.name === 'error' && s.args[1] === ErrorCode.UNKNOWN_ID);
  }

  /** Waits until `count` events of `name` were seen, re-checking on every event the client records (2 s at most). */
  waitFor(name: string, count = 1, timeoutMs = 2_000): Promise<Seen[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.events(name).length < count) return false;
        this.api.off(EventName.all, check);
        clearTimeout(timer);
        resolve(this.events(name));
        return true;
      };
      // A failure bound only: in a passing run the wait ends on the event itself.
      const timer = setTimeout(() => {
        this.api.off(EventName.all, check);
        reject(new Error(`timed out waiting for ${count} × ${name}; saw ${this.seen.map((s) => s.name).join(', ')}`));
      }, timeoutMs);
      // Registered after the recording listener, so it runs once the event is in `seen`.
      if (!check()) this.api.on(EventName.all, check);
    });
  }

  /** Disconnects. */
  close(): void {
    this.api.disconnect();
  }
}

/**
 * Synchronisation after every (re)connection, and after TWS reports data lost (1101): positions, the client's
 * open orders and the day's executions are requested again (executions are deduplicated by exec id, so fills
 * missed during an outage are applied exactly once). Orders this process still thinks are working but TWS no
 * longer lists are then settled: an order TWS never acknowledged failed, an acknowledged one was cancelled.
 */
import type { IBApi } from '@stoqey/ib';
import type { OrderEvent } from '../../../machines/order.machine.ts';
import type { IbkrBook } from './book.ts';
import type { PendingRequests } from './requests.ts';

/** What the synchronisation needs: the book, the requests, and the way to settle an order. */
export interface SyncHost {
  readonly book: IbkrBook;
  readonly requests: PendingRequests;
  readonly clientId: number;
  readonly requestTimeoutMs: number;
  readonly accountId: string;
  /** Order ids TWS listed as open while a synchronisation runs; undefined otherwise. */
  syncSeen: Set<number> | undefined;
  readonly now: () => number;
  requestPositions(api: IBApi, refresh: boolean): Promise<void>;
  apply(id: number, event: OrderEvent): void;
}

/** Re-requests positions, open orders and executions, then settles orders TWS no longer knows as working. */
export const syncAfterConnect = async (host: SyncHost, api: IBApi, refresh = false): Promise<void> => {
  const timeout = host.requestTimeoutMs;
  const execReq = host.requests.nextId();
  // Only orders sent before these requests can be judged by their answers (one socket keeps the order of
  // messages); an order placed during a resynchronisation on a live socket is not in them yet.
  const before = new Set(host.book.working().map(([id]) => id));
  host.syncSeen = new Set();
  try {
    await Promise.all([
      host.requestPositions(api, refresh),
      host.requests.request('openOrders', 'reqOpenOrders', timeout, () => api.reqOpenOrders()),
      host.requests.request(execReq, 'reqExecutions', timeout, () => api.reqExecutions(execReq, { clientId: String(host.clientId), acctCode: host.accountId })),
    ]);
    const seen = host.syncSeen;
    for (const [id, order] of host.book.working()) {
      // An execution still waiting for its commission report will settle the order itself.
      if (!before.has(id) || seen.has(id) || host.book.hasPendingExecution(id)) continue;
      const at = host.now();
      host.apply(id, order.status === 'submitted'
        ? { type: 'order.failed', at, reason: 'TWS never acknowledged the order before the connection dropped, and does not know it now' }
        : { type: 'order.cancelled', at, reason: 'no longer working at TWS after the reconnect (cancelled or expired meanwhile)' });
    }
  } finally {
    host.syncSeen = undefined;
  }
};

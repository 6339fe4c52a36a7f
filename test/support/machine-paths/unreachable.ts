/**
 * Why some states and transitions are never reached by a run against the real system, by machine and key (the
 * keys of `graph.ts`). The coverage check fails on anything unreached that is not listed here, and on a reason
 * listed for something that was reached, so the list cannot drift from the code. "By design" means the real
 * system never does it; "Not driven yet" means the real system can, but no driver of this harness makes it happen;
 * "By chance" means some runs take it and others not (timing), so it is exempt from the staleness check.
 */
const RESTART = 'By design: no provider restarts a connection actor. disconnect() is final (a provider is not reused), and connect() after a failure rejects with CONNECTION_FAILED instead of sending connection.start again.';
const PAPER = 'By design with the paper provider (the trading provider of these paths): its connect() and disconnect() only mark the broker connected or not (src/trading/paper/paper-provider.ts) and can neither fail nor hang; venue providers are driven through the order paths.';

const UNSENT = 'By design: every trading provider submits an order in the same call that creates it (paper: place in machines/paper-broker.machine.ts; Binance: acceptedState / rejectedState in src/trading/binance/order-lifecycle.ts; IBKR: IbkrBook.add), so no order is ever held in created for a cancel or a failure to reach.';
const FAILED = 'By design: only the IBKR resynchronisation sends order.failed, and only for an order TWS never acknowledged (src/trading/ibkr/sync.ts); an acknowledged order TWS no longer lists is settled as cancelled there, and neither the paper nor the Binance provider sends order.failed.';

export const UNREACHABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  connection: {
    'connection.failed --connection.start--> connection.connecting': RESTART,
    'connection.closed --connection.start--> connection.connecting': RESTART,
  },
  subscriptions: {
    'subscriptions.online.acks.awaiting --connection.ready--> subscriptions.online.acks.awaiting': 'By chance: the same socket reported ready again while a request is in flight. Runs of the Massive paths took it in some runs and not in others on the loaded two-core machine (the order of a subscription answer against the ready report depends on timing); no driver pins that order yet, so it is neither required nor a stale reason.',
  },
  session: {
    'session.starting --trading.failed--> session.stopping': PAPER,
    'session.starting.connectingTrading --after(step)--> session.stopping': PAPER,
    'session.stopping --trading.failed--> (stay)': PAPER,
    'session.stopping.disconnectingTrading --after(step)--> session.stopping.closingWriter': PAPER,
    'session.running --trading.failed--> session.stopping': 'By design: the trading child sends trading.failed only as the answer to trading.connect or trading.disconnect (src/session/children.ts); while running it answers nothing (order errors go to the strategy that placed the order).',
    'session.stopping.closingWriter --always--> session.stopping.done': 'By design: the writer is the first child started (on entering starting), so started.writer is always true once the session is stopping.',
    'session.starting.openingWriter --after(step)--> session.stopping': 'By design with DuckDB: opening a file either succeeds or fails at once (a lock held by another process, a path that cannot be created: both writer.failed), so the open never outlasts the step timeout.',
    'session.stopping --bar.closed--> (stay)': 'Not driven yet: a bar must arrive between the stop and the provider\'s sockets closing, a window of the close handshake only; no simulator fault holds a closed bar inside it deterministically.',
    'session.stopping --writer.failed--> (stay)': 'Not driven yet: the writer fails outside its own steps only through the durability guard (STORAGE_LOST, an invalidated database), which notices at a flush; in stopping the next flush is normally the close\'s own, answered by closingWriter, so a failure seen by the stopping state itself depends on the flush timer firing inside the earlier stop steps.',
    'session.stopping --strategy.halted--> (stay)': 'Not driven yet: a halt while stopping comes from the bar the strategy has in hand when the stop arrives (the stopping session feeds it no new bar); which bar is in hand depends on timing.',
    'session.stopping.stoppingMarketData --after(step)--> session.stopping.stoppingStrategy': 'Not driven yet: it needs a market data provider whose disconnect() hangs; the Binance provider closes its sockets without waiting on the peer.',
    'session.stopping.closingWriter --after(step)--> session.stopping.done': 'Not driven yet: it needs a writer close that outlasts the step timeout (a flush retried on a full disk for longer than the step) under the session, whose DuckDB file is not on the writer paths\' tmpfs.',
  },
  order: {
    'order.created --order.cancel--> order.cancelled': UNSENT,
    'order.created --order.failed--> order.failed': UNSENT,
    'order.accepted --order.failed--> order.failed': FAILED,
    'order.partially_filled --order.failed--> order.failed': FAILED,
  },
  writer: {
    'writer.closing.finalizing --xstate.error.actor.closeStore--> writer.closed': 'Not driven yet: a full tmpfs does not fail the final checkpoint (after the drain nothing new is written), and a read-only remount is refused while the database file is open.',
  },
};

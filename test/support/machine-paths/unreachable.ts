/**
 * Why some states and transitions are never reached by a run against the real system, by machine and key (the
 * keys of `graph.ts`). The coverage check fails on anything unreached that is not listed here, and on a reason
 * listed for something that was reached, so the list cannot drift from the code. "By design" means the real
 * system never does it; "Not driven yet" means the real system can, but no driver of this harness makes it happen.
 */
const HANDSHAKE = 'Not driven yet: Binance connections have no handshake (policy.handshake is false); the Massive/Polygon provider authenticates in `handshaking`, and no Massive driver exists yet.';
const RESTART = 'By design: no provider restarts a connection actor. disconnect() is final (a provider is not reused), and connect() after a failure rejects with CONNECTION_FAILED instead of sending connection.start again.';
const PER_STREAM = 'Not driven yet: per-stream answers are the Massive/Polygon protocol; Binance answers per request id (control.ack / control.error).';
export const UNREACHABLE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  connection: {
    'connection.handshaking': HANDSHAKE,
    'connection.connecting --socket.opened[0]--> connection.handshaking': HANDSHAKE,
    'connection.handshaking --handshake.succeeded--> connection.open': HANDSHAKE,
    'connection.handshaking --handshake.failed[0]--> connection.failed': HANDSHAKE,
    'connection.handshaking --handshake.failed[1]--> connection.open': HANDSHAKE,
    'connection.handshaking --handshake.failed[2]--> connection.backoff': HANDSHAKE,
    'connection.handshaking --socket.closed[0]--> connection.open': HANDSHAKE,
    'connection.handshaking --socket.closed[1]--> connection.backoff': HANDSHAKE,
    'connection.handshaking --after(handshakeTimeout)[0]--> connection.open': HANDSHAKE,
    'connection.handshaking --after(handshakeTimeout)[1]--> connection.backoff': HANDSHAKE,
    'connection --connection.fatal--> connection.failed': 'Not driven yet: only the Massive/Polygon provider sends connection.fatal (authentication refused, a fatal status); the Binance provider never does.',
    'connection.failed --connection.start--> connection.connecting': RESTART,
    'connection.closed --connection.start--> connection.connecting': RESTART,
  },
  subscriptions: {
    'subscriptions.online --control.streamAcked--> (stay)': PER_STREAM,
    'subscriptions.online --control.streamRejected--> (stay)': PER_STREAM,
    'subscriptions.online.acks.awaiting --acks.progress--> subscriptions.online.acks.awaiting': 'Not driven yet: needs two requests in flight at once; the Binance simulator answers each request within milliseconds, before the spacing timer lets the next one go (a reply-delay fault in the simulator would drive it).',
    'subscriptions.online.acks.awaiting --connection.ready--> subscriptions.online.acks.awaiting': 'Not driven yet: the same socket reported ready again while a request is in flight, which takes a rotation abandoned while a subscription is still unanswered (a connect timeout of 10 s, hard-coded in the Binance provider, plus a reply delay).',
  },
  writer: {
    'writer.closing.finalizing --xstate.error.actor.closeStore--> writer.closed': 'Not driven yet: a full tmpfs does not fail the final checkpoint (after the drain nothing new is written), and a read-only remount is refused while the database file is open.',
  },
};

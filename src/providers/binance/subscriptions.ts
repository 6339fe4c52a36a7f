/** Builds Binance control messages from the venue-neutral requests of the subscription-set machine. */
import type { PendingRequest } from '../../../machines/subscriptions.machine.ts';
import type { BinanceControlRequest } from './messages.ts';

/** The wire message for a subscription request. */
export const binanceControlMessage = (request: PendingRequest): BinanceControlRequest => ({
  method: request.op === 'subscribe' ? 'SUBSCRIBE' : 'UNSUBSCRIBE',
  params: request.streams,
  id: request.id,
});

/** Builds Polygon client messages: authentication, and the subscription set's venue-neutral requests. */
import type { PendingRequest } from '../../../machines/subscriptions.machine.ts';
import type { PolygonAction } from './messages.ts';

/** The wire message for a subscription request: params comma separated, answered by one status per param. */
export const polygonControlMessage = (request: PendingRequest): PolygonAction => ({
  action: request.op,
  params: request.streams.join(','),
});

/** The authentication message (its text must only ever go to the socket). */
export const polygonAuthMessage = (apiKey: string): PolygonAction => ({ action: 'auth', params: apiKey });

/** Reads a subscription answer (`subscribed to: AM.AAPL`, `unsubscribed to: AM.AAPL`), or undefined. */
export const parseSubscriptionAnswer = (message: string): { op: 'subscribe' | 'unsubscribe'; stream: string } | undefined => {
  const m = /^(subscribed|unsubscribed) to: (\S+)$/.exec(message.trim());
  return m ? { op: m[1] === 'subscribed' ? 'subscribe' : 'unsubscribe', stream: m[2]! } : undefined;
};

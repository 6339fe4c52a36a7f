/**
 * The Binance trading provider drives each order through the order machine (src/trading/binance/orders.ts,
 * order-lifecycle.ts), against the simulator on loopback: every published update is a transition the machine
 * accepts, and a venue report the machine refuses (an execution listed twice, which would overfill the order) is
 * logged as `order.transition_refused` and never published.
 */
import { describe, expect, it } from 'vitest';
import { advanceOrder, createOrder, type OrderState } from '../../../machines/order.machine.ts';
import { eventually, START, tickerPrice, useVenues, type Venue } from './helpers.ts';

const venues = useVenues();

/** Places a resting buy below the market and advances the market until it fills. */
const fillResting = async ({ sim, provider, updates }: Venue, quantity: number) => {
  const current = await tickerPrice(sim, 'BTCUSDT');
  const low = Math.min(...Array.from({ length: 20 }, (_, i) => Number(sim.bar('BTCUSDT', '1m', START + i * 60_000).l)));
  const order = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity, price: (low + current) / 2 });
  for (let i = 0; i < 700 && sim.orders()[0]!.status === 'NEW'; i++) sim.advance();
  await eventually(() => updates.some((u) => u.order.status === 'filled'));
  return order;
};

describe('binance-paper orders through the order machine', () => {
  it('publishes only updates the order machine reaches from the placement, in order', async () => {
    const venue = await venues.start();
    await venue.provider.connect();
    const order = await fillResting(venue, 0.01);
    expect(venue.updates.map((u) => u.order.status)).toEqual(['accepted', 'filled']);
    // Replaying the published updates through the machine reaches the same final order.
    let state: OrderState = advanceOrder(createOrder({ id: order.id, request: { symbol: 'BTCUSDT', side: 'buy', type: 'limit', quantity: order.quantity, price: order.price!, clientOrderId: order.clientOrderId }, at: order.createdAt }), { type: 'order.submit', at: order.createdAt });
    state = advanceOrder(state, { type: 'order.accepted', at: order.createdAt });
    for (const u of venue.updates) if (u.fill) state = advanceOrder(state, { type: 'order.filled', quantity: u.fill.quantity, price: u.fill.price, fee: u.fill.fee, at: u.fill.at });
    expect(state.status).toBe('filled');
    expect(venue.updates.at(-1)!.order).toMatchObject({ status: 'filled', filledQuantity: state.context.filledQuantity, averagePrice: state.context.averagePrice });
  });

  it('refuses an execution the venue lists twice: logged as order.transition_refused, never published as a fill', async () => {
    const venue = await venues.start();
    const { sim, provider, updates, events } = venue;
    await provider.connect();
    sim.duplicateNextExecutions(1);
    const order = await fillResting(venue, 0.01);
    expect(sim.trades().filter((t) => t.orderId === sim.orders()[0]!.orderId)).toHaveLength(2);
    await eventually(() => events.some((e) => e.type === 'order.transition_refused'));
    const refused = events.find((e) => e.type === 'order.transition_refused')!;
    expect(refused).toMatchObject({ orderId: order.id, status: 'filled', event: { type: 'order.filled', quantity: 0.01 } });
    expect(updates.filter((u) => u.fill)).toHaveLength(1);
    expect(await provider.getOrderStatus(order.id)).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
    expect(updates.every((u) => u.order.filledQuantity <= u.order.quantity)).toBe(true);
  });
});

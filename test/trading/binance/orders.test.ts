/**
 * The Binance trading provider drives each order through the order machine (src/trading/binance/orders.ts,
 * order-lifecycle.ts), against the simulator on loopback: every published update is a transition the machine
 * accepts, and an execution the venue lists twice under a new trade id (the simulator's duplicate fault) is
 * refused against the venue's executed quantity (`order.execution_refused`) and never published, whether it
 * copies the completing execution or a partial one.
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

  it('refuses a completing execution the venue lists twice: logged as order.execution_refused, never published as a fill', async () => {
    const venue = await venues.start();
    const { sim, provider, updates, events } = venue;
    await provider.connect();
    sim.duplicateNextExecutions(1);
    const order = await fillResting(venue, 0.01);
    expect(sim.trades().filter((t) => t.orderId === sim.orders()[0]!.orderId)).toHaveLength(2);
    await eventually(() => events.some((e) => e.type === 'order.execution_refused'));
    const refused = events.find((e) => e.type === 'order.execution_refused')!;
    expect(refused).toMatchObject({ orderId: order.id, quantity: 0.01, applied: 0.01, venueExecuted: 0.01, reason: 'past_venue_executed' });
    expect(updates.filter((u) => u.fill)).toHaveLength(1);
    expect(await provider.getOrderStatus(order.id)).toMatchObject({ status: 'filled', filledQuantity: 0.01 });
    expect(updates.every((u) => u.order.filledQuantity <= u.order.quantity)).toBe(true);
  });

  it('keeps an order partially filled when the venue lists its partial execution twice, then applies the genuine rest', async () => {
    const { sim, provider, updates, events } = await venues.start();
    await provider.connect();
    // Half of the market buy executes and is listed twice; the lost answer makes the provider read myTrades.
    sim.partialNextExecutions(1);
    sim.duplicateNextExecutions(1);
    sim.dropNextOrderResponses(1);
    const placed = await provider.placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.004, clientOrderId: 'partial-twice' });
    expect(sim.orders()[0]).toMatchObject({ status: 'PARTIALLY_FILLED', executedLots: 200 });
    expect(placed).toMatchObject({ status: 'partially_filled', filledQuantity: 0.002 });
    const [genuine, copy] = sim.trades();
    expect(copy).toMatchObject({ qty: genuine!.qty, price: genuine!.price, orderId: genuine!.orderId });
    expect(events.filter((e) => e.type === 'order.execution_refused')).toEqual([expect.objectContaining({
      orderId: placed.id, tradeId: copy!.id, quantity: 0.002, applied: 0.002, venueExecuted: 0.002, reason: 'past_venue_executed',
    })]);
    expect(await provider.getOrderStatus(placed.id)).toMatchObject({ status: 'partially_filled', filledQuantity: 0.002 });
    expect(updates.filter((u) => u.fill)).toHaveLength(1);

    // The market step fills the rest: that execution, not the copy, completes the order; the copy, listed again
    // beside it, is still refused and not logged twice.
    sim.advance(1);
    await eventually(() => updates.some((u) => u.order.status === 'filled'));
    const rest = sim.trades().find((t) => t.id !== genuine!.id && t.id !== copy!.id)!;
    expect(updates.filter((u) => u.fill).map((u) => [u.fill!.quantity, u.fill!.price])).toEqual([[0.002, genuine!.price], [0.002, rest.price]]);
    expect(events.filter((e) => e.type === 'order.filled').map((e) => e['tradeId'])).toEqual([genuine!.id, rest.id]);
    expect(events.filter((e) => e.type === 'order.execution_refused').map((e) => e['tradeId'])).toEqual([copy!.id]);
    expect(await provider.getOrderStatus(placed.id)).toMatchObject({ status: 'filled', filledQuantity: 0.004 });
  });
});

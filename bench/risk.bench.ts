/**
 * Risk engine micro-benchmark (`node bench/risk.bench.ts`): the cost the pre-trade engine adds per bar (folding
 * its close) and per order (`checkOrder` with working orders and positions in the state), at 1,000 symbols with
 * the default limits. Prints one line per figure; the figures quoted in docs/decisions.md come from it.
 */
import { defaultRiskLimits } from '../src/risk/config.ts';
import { checkOrder } from '../src/risk/risk-engine.ts';
import { applyRisk, initialRiskState, type RiskState } from '../src/risk/risk-state.ts';

const SYMBOLS = Array.from({ length: 1_000 }, (_, i) => `S${i}USDT`);
const BARS = 300_000;
const ORDERS = 100_000;

const timed = (label: string, n: number, run: () => void): void => {
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(34)} ${(n / ms * 1000).toFixed(0).padStart(10)} /s  ${(ms / n * 1000).toFixed(2)} µs each`);
};

let state: RiskState = initialRiskState(defaultRiskLimits(SYMBOLS));
for (const symbol of SYMBOLS) state = applyRisk(state, { type: 'bar', symbol, close: 100, at: 1 });
timed('bar folded (1,000 symbols)', BARS, () => {
  for (let i = 0; i < BARS; i++) state = applyRisk(state, { type: 'bar', symbol: SYMBOLS[i % SYMBOLS.length]!, close: 100 + (i % 7), at: 1 + i });
});
for (let i = 0; i < 19; i++) {
  state = applyRisk(state, { type: 'submitted', key: `w${i}`, request: { symbol: SYMBOLS[i]!, side: 'buy', type: 'limit', quantity: 1, price: 99 }, at: 1 });
  state = applyRisk(state, { type: 'filled', fill: { orderId: `f${i}`, symbol: SYMBOLS[i + 100]!, side: 'buy', quantity: 1, price: 100, fee: 0, at: 2 } });
}
let passed = 0;
timed('order checked (19 working, 19 held)', ORDERS, () => {
  for (let i = 0; i < ORDERS; i++) if (checkOrder(state, { symbol: SYMBOLS[i % SYMBOLS.length]!, side: 'buy', type: 'market', quantity: 1 }, 10_000_000 + i * 1_000).ok) passed++;
});
console.log(`(${passed} of ${ORDERS} orders passed)`);

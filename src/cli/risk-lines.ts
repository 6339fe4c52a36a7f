/**
 * One terminal line per risk engine fact: refused orders (the first few of each check, then a single line saying
 * the rest are only counted, so a flood of orders cannot flood the terminal), kill switch trips, sweeps and resets.
 */
import pc from 'picocolors';
import type { RiskFact } from '../risk/guarded-provider.ts';

/** Refusals printed per check before the rest are only counted. */
export const PRINTED_PER_CHECK = 3;

const request = (r: Record<string, unknown>): string =>
  `${String(r.side ?? '?').toUpperCase()} ${String(r.quantity ?? '?')} ${String(r.symbol ?? '?')} ${String(r.type ?? '?')}${r.price !== undefined ? ` @ ${String(r.price)}` : ''}`;

/** A stateful formatter: returns the line to print for a fact, or undefined to stay quiet. */
export const riskLine = (): ((fact: RiskFact) => string | undefined) => {
  const seen = new Map<string, number>();
  return (fact) => {
    switch (fact.type) {
      case 'risk.rejected': {
        const n = (seen.get(fact.check) ?? 0) + 1;
        seen.set(fact.check, n);
        if (n > PRINTED_PER_CHECK + 1) return undefined;
        if (n === PRINTED_PER_CHECK + 1) return pc.dim(`risk: further ${fact.check} refusals are only counted (stats, metrics, session_events)`);
        return `${pc.red('risk')} refused ${request(fact.request)}: ${fact.code} (${fact.check}) ${fact.reason}`;
      }
      case 'risk.killed':
        return pc.red(pc.bold(`KILL SWITCH tripped (${fact.source}): ${fact.reason}; new orders are refused until it is reset`));
      case 'risk.swept':
        return `${pc.red('kill switch')} cancelled ${fact.cancelled.length} open order(s)` +
          (fact.flattened.length ? `, sent ${fact.flattened.length} flattening order(s)` : '') +
          (fact.failed.length ? pc.yellow(`; failed: ${fact.failed.map((f) => `${f.target} (${f.message})`).join(', ')}`) : '');
      case 'risk.reset':
        return pc.green('kill switch reset: orders pass the risk checks again');
      case 'risk.day_started':
        return undefined;
    }
  };
};

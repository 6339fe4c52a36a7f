/**
 * The guard between practice and real money: a practice provider (`binance-paper`, every `*-paper` or testnet
 * provider) refuses a config that points at a production venue. For Binance that is any URL on `binance.com`
 * or `binance.us` other than the testnet and demo hosts; for IBKR it is the live API ports of TWS (7496) and
 * IB Gateway (4001) and an account id that is not a paper one (paper accounts start with `D`, e.g. `DU123`).
 * The live providers have their own two-key rule (`live: true` plus `--live`).
 */
import { realtimeError } from '../errors.ts';

// Hosts on Binance's domains that trade no real money (Spot testnet, futures testnet, demo trading).
const PRACTICE_HOST = /^(testnet\.binance\.vision|testnet\.binancefuture\.com|demo-[a-z0-9-]+\.binance\.com)$/i;
const BINANCE_DOMAIN = /(^|\.)(binance\.com|binance\.us|binance\.vision|binancefuture\.com)$/i;
const IBKR_LIVE_PORTS: ReadonlySet<number> = new Set([7496, 4001]);

/** True for a provider name that must never reach real money (`*-paper`, `*-testnet`, `*-demo`). */
export const isPracticeProvider = (name: string): boolean => /-(paper|testnet|demo)$/.test(name);

/** True when `url` is on a Binance production host. */
export const isBinanceProductionUrl = (url: string): boolean => {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return BINANCE_DOMAIN.test(host) && !PRACTICE_HOST.test(host);
};

const refuse = (provider: string, field: string, why: string): never => {
  throw realtimeError('CONFIG_INVALID', `${provider} is a practice provider and refuses ${field}: ${why}; use the live provider to trade real money`, {
    provider, fields: [field],
  });
};

/** Throws CONFIG_INVALID when the decoded `config` of practice provider `provider` points at a production venue. */
export const assertPracticeVenue = (provider: string, config: unknown): void => {
  if (!isPracticeProvider(provider) || typeof config !== 'object' || config === null) return;
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (key.endsWith('_url') && typeof value === 'string' && isBinanceProductionUrl(value)) {
      refuse(provider, key, `${new URL(value).hostname} is a production host`);
    }
  }
  if (provider.startsWith('ibkr-')) {
    const { port, account_id: account } = config as { port?: unknown; account_id?: unknown };
    if (typeof port === 'number' && IBKR_LIVE_PORTS.has(port)) refuse(provider, 'port', `${port} is the live API port of TWS (7496) or IB Gateway (4001)`);
    if (typeof account === 'string' && !/^D/i.test(account)) refuse(provider, 'account_id', `${account} is not a paper account (paper account ids start with D)`);
  }
};

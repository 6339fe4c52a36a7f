/**
 * Practice providers refuse production venues (issue #14): `binance-paper` with a `rest_url` on Binance's
 * production hosts, `ibkr-paper` on a live API port or with a live account id; testnet, demo and local
 * simulator URLs stay accepted.
 */
import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/errors.ts';
import { createTradingProvider, decodeTradingProviderConfig } from '../../src/trading/registry.ts';
import { isBinanceProductionUrl, isPracticeProvider } from '../../src/trading/venue-guard.ts';

const keys = { api_key: 'GUARDKEYa1b2c3', secret_key: 'GUARDSECRETd4e5f6' };

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(isRealtimeError(e)).toBe(true);
    return e as { code: string; message: string; data?: { fields?: string[] } };
  }
  throw new Error('expected a refusal');
};

describe('binance-paper', () => {
  it.each(['https://api.binance.com', 'https://api3.binance.com', 'https://fapi.binance.com', 'https://api.binance.us', 'https://API.BINANCE.COM/'])(
    'refuses rest_url %s at decode and at creation', (url) => {
      for (const fn of [() => decodeTradingProviderConfig('binance-paper', { ...keys, rest_url: url }), () => createTradingProvider('binance-paper', { ...keys, rest_url: url })]) {
        const e = refusal(fn);
        expect(e.code).toBe('CONFIG_INVALID');
        expect(e.message).toContain('binance-paper is a practice provider and refuses rest_url');
        expect(e.data?.fields).toEqual(['rest_url']);
      }
    },
  );

  it.each(['https://testnet.binance.vision', 'https://testnet.binancefuture.com', 'https://demo-api.binance.com', 'http://127.0.0.1:38211'])('accepts %s', (url) => {
    expect(decodeTradingProviderConfig('binance-paper', { ...keys, rest_url: url })).toMatchObject({ rest_url: url });
  });

  it('keeps binance-live on the production host', () => {
    expect(decodeTradingProviderConfig('binance-live', { ...keys })).toMatchObject({ rest_url: 'https://api.binance.com' });
  });
});

describe('ibkr-paper', () => {
  it.each([7496, 4001])('refuses the live API port %d', (port) => {
    expect(refusal(() => decodeTradingProviderConfig('ibkr-paper', { port })).message).toContain(`refuses port: ${port} is the live API port`);
  });

  it('refuses an account id that is not a paper account', () => {
    expect(refusal(() => decodeTradingProviderConfig('ibkr-paper', { account_id: 'U1234567' })).message).toContain('U1234567 is not a paper account');
  });

  it('accepts the paper ports and a paper account id', () => {
    expect(decodeTradingProviderConfig('ibkr-paper', { port: 4002, account_id: 'DU1234567' })).toMatchObject({ port: 4002 });
  });
});

describe('the rules', () => {
  it('names every *-paper, *-testnet and *-demo provider a practice provider, and no other', () => {
    expect(['binance-paper', 'ibkr-paper', 'binance-futures-testnet', 'x-demo'].every(isPracticeProvider)).toBe(true);
    expect(['paper', 'binance-live', 'ibkr-live'].some(isPracticeProvider)).toBe(false);
  });

  it('does not take a lookalike domain for Binance', () => {
    expect(isBinanceProductionUrl('https://binance.com.evil.example')).toBe(false);
    expect(isBinanceProductionUrl('https://notbinance.com')).toBe(false);
    expect(isBinanceProductionUrl('not a url')).toBe(false);
  });
});

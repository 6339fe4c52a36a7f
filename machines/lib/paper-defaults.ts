/** The paper broker's default rules, apart from its bookkeeping so that config decoding can read them cheaply. */
import type { PaperBrokerConfig } from './paper-account.ts';

/** The defaults of {@link PaperBrokerConfig}. */
export const DEFAULT_PAPER_CONFIG: PaperBrokerConfig = {
  initialCash: 100_000,
  currency: 'USD',
  feeRate: 0.001,
  slippageBps: 0,
  fillOn: 'next_open',
  allowShort: true,
  shortMarginRate: 0.5,
  maxVolumeShare: null,
};

/**
 * Configuration of the IBKR trading providers (`ibkr-paper`, `ibkr-live`) in the seed's snake_case YAML shape.
 * The seed's keys (`host`, `port`, `client_id`, `account_id`) keep their meaning and
 * defaults; the rest are optional. `ibkr-live` alone has `live`, which must be true (with the CLI's `--live`).
 */
import * as Schema from 'effect/Schema';
import { decodeConfig, NonNegativeInt, optional, PositiveInt, withDefault } from '../../schema/schema-tools.ts';
import { realtimeError } from '../../errors.ts';

/** The two registry names served by the IBKR provider. */
export const IBKR_PROVIDER_NAMES = ['ibkr-paper', 'ibkr-live'] as const;

/** `ibkr-paper` or `ibkr-live`. */
export type IbkrProviderName = (typeof IBKR_PROVIDER_NAMES)[number];

/** Default API ports: TWS paper 7497 / live 7496; IB Gateway paper 4002 / live 4001. */
export const IBKR_PORTS = { tws: { paper: 7497, live: 7496 }, gateway: { paper: 4002, live: 4001 } } as const;

/** The default ports in words, for error messages. */
export const IBKR_PORTS_TEXT = `TWS paper ${IBKR_PORTS.tws.paper} / live ${IBKR_PORTS.tws.live}, IB Gateway paper ${IBKR_PORTS.gateway.paper} / live ${IBKR_PORTS.gateway.live}`;

const common = (mode: 'paper' | 'live') => ({
  host: withDefault(Schema.NonEmptyString, '127.0.0.1', 'Host of TWS or IB Gateway'),
  port: withDefault(PositiveInt, IBKR_PORTS.tws[mode], `API port of TWS (${mode} ${IBKR_PORTS.tws[mode]}) or IB Gateway (${mode} ${IBKR_PORTS.gateway[mode]})`),
  client_id: withDefault(NonNegativeInt, 1, 'API client id, unique per connection to TWS (a taken id is refused with error 326)'),
  account_id: optional(Schema.NonEmptyString, 'Account id to trade (the seed\'s key); required when the login manages several accounts'),
  currency: withDefault(Schema.NonEmptyString, 'USD', 'Currency of the stock contracts traded'),
  exchange: withDefault(Schema.NonEmptyString, 'SMART', 'Exchange orders are routed to (SMART routing by default)'),
  reconnect_attempts: withDefault(NonNegativeInt, 0, 'Consecutive failed reconnects before giving up; 0 retries for ever (TWS restarts daily)'),
  reconnect_delay_ms: withDefault(PositiveInt, 1_000, 'First reconnect delay; doubles per attempt'),
  reconnect_max_delay_ms: withDefault(PositiveInt, 30_000, 'Cap of the reconnect delay'),
  connect_timeout_ms: withDefault(PositiveInt, 10_000, 'Longest wait for the socket, and again for the API handshake'),
  request_timeout_ms: withDefault(PositiveInt, 10_000, 'Longest wait for an order acknowledgement, positions, executions or the account summary'),
  keepalive_ms: withDefault(PositiveInt, 10_000, 'Interval of reqCurrentTime probes; three silent intervals mean a dead connection'),
});

/** Schema of the `ibkr-paper` config. */
export const IbkrPaperTradingConfigSchema = Schema.Struct(common('paper'))
  .annotate({ title: 'ibkr-paper', description: 'Orders on an IBKR paper account through a logged-in TWS or IB Gateway' });

/** Schema of the `ibkr-live` config. */
export const IbkrLiveTradingConfigSchema = Schema.Struct({
  ...common('live'),
  live: withDefault(Schema.Boolean, false, 'Must be true, and the CLI started with --live, before real orders are sent'),
}).annotate({ title: 'ibkr-live', description: 'Real orders on an IBKR account through a logged-in TWS or IB Gateway' });

/** The config schema of each IBKR registry name. */
export const IBKR_CONFIG_SCHEMAS = { 'ibkr-paper': IbkrPaperTradingConfigSchema, 'ibkr-live': IbkrLiveTradingConfigSchema } as const;

/** A decoded IBKR config, with the mode it was decoded for. */
export type IbkrTradingConfig = typeof IbkrPaperTradingConfigSchema.Type & { readonly live: boolean; readonly mode: 'paper' | 'live' };

/** Decodes a raw config for `name`; throws CONFIG_INVALID naming the field. */
export const decodeIbkrTradingConfig = (name: IbkrProviderName, input: unknown): IbkrTradingConfig => {
  if (name === 'ibkr-live') return { ...decodeConfig(IbkrLiveTradingConfigSchema, input, 'ibkr-live trading provider config'), mode: 'live' };
  if (name === 'ibkr-paper') return { ...decodeConfig(IbkrPaperTradingConfigSchema, input, 'ibkr-paper trading provider config'), live: false, mode: 'paper' };
  throw realtimeError('CONFIG_INVALID', `unknown IBKR provider ${JSON.stringify(name)}; expected ${IBKR_PROVIDER_NAMES.join(' or ')}`, { provider: name });
};

/**
 * Refuses real-money trading unless both the config (`live: true`) and the operator (`--live`, passed as
 * `liveConfirmed`) said so; a mistake in either one must not send real orders.
 */
export const assertLiveAllowed = (config: IbkrTradingConfig, liveConfirmed: boolean | undefined): void => {
  if (config.mode !== 'live') return;
  const missing = [
    ...(config.live === true ? [] : ['`live: true` in trading_provider_config']),
    ...(liveConfirmed === true ? [] : ['the --live command-line flag']),
  ];
  if (missing.length > 0) {
    throw realtimeError('CONFIG_INVALID', `ibkr-live trades real money and refuses to start without ${missing.join(' and ')}`, { provider: 'ibkr-live', fields: config.live === true ? [] : ['live'] });
  }
};

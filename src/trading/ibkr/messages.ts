/**
 * The TWS API facts the IBKR provider acts on: message codes of `error` callbacks, order statuses and account
 * summary tags. The wire itself is `@stoqey/ib`'s; this file names what its events carry.
 * Codes: https://interactivebrokers.github.io/tws-api/message_codes.html
 */

/** TWS message codes the provider handles by number. */
export const IB_CODE = {
  DUPLICATE_ORDER_ID: 103,
  CANCEL_ORDER_NOT_FOUND: 135,
  CANCEL_NOT_CANCELLABLE_STATE: 161,
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  CLIENT_ID_IN_USE: 326,
  ORDER_WARNING: 399,
  CONNECT_FAIL: 502,
  NOT_CONNECTED: 504,
  /** The library's own code for a message it could not decode. */
  UNKNOWN_ID: 505,
  LINK_LOST: 1100,
  LINK_RESTORED_DATA_LOST: 1101,
  LINK_RESTORED_DATA_KEPT: 1102,
  CANCEL_NOT_FOUND: 10147,
  CANCEL_NOT_CANCELLABLE: 10148,
} as const;

/** Codes answering a cancel that could not be done (unknown order, or already final). */
export const CANCEL_REFUSED_CODES: ReadonlySet<number> = new Set([
  IB_CODE.CANCEL_ORDER_NOT_FOUND, IB_CODE.CANCEL_NOT_CANCELLABLE_STATE, IB_CODE.CANCEL_NOT_FOUND, IB_CODE.CANCEL_NOT_CANCELLABLE,
]);

/**
 * True for codes that inform and never fail an order: the 2100–2199 warnings and farm notices, 399 order
 * warnings, the 202 cancel confirmation (its status update follows) and answers to cancels.
 */
export const isNotice = (code: number): boolean =>
  (code >= 2100 && code < 2200) || code === IB_CODE.ORDER_WARNING || code === IB_CODE.ORDER_CANCELLED || CANCEL_REFUSED_CODES.has(code);

/** TWS order statuses (the library's `OrderStatus`). */
export type IbOrderStatus =
  | 'ApiPending' | 'PendingSubmit' | 'PendingCancel' | 'PreSubmitted' | 'Submitted' | 'ApiCancelled' | 'Cancelled' | 'Filled' | 'Inactive' | 'Unknown';

/** Account summary tags requested: net liquidation is the equity, total cash value the cash. */
export const ACCOUNT_SUMMARY_TAGS = ['NetLiquidation', 'TotalCashValue', 'GrossPositionValue', 'AvailableFunds'] as const;

/**
 * Request ids for positions, executions and account summaries come from a range far above order ids: TWS reports
 * errors of both with the same `id` field, and an error must never be taken for the wrong one.
 */
export const FIRST_REQUEST_ID = 1_900_000_000;

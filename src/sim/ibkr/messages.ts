/**
 * TWS messages of the simulator at server version 193, field for field as `@stoqey/ib` 1.6.10 encodes requests
 * (`core/io/encoder.js`) and decodes answers (`core/io/decoder.js`, whose `OrderDecoder` reads `openOrder`).
 * From version 145 (`ORDER_CONTAINER`) on, `openOrder`, `orderStatus` and `execDetails` carry no message version;
 * the decoder checks message boundaries, so one field too many or too few shows up as a decoding error.
 */
import type { Field } from './wire.ts';
import type { SimContract, SimExecution, SimOrder } from './broker.ts';

/**
 * The server version the simulator speaks: `MIN_SERVER_VER.CME_TAGGING_FIELDS_IN_OPEN_ORDER`, the highest
 * `@stoqey/ib` 1.6.10 asks for (`v100..193`), so it is the version real TWS 10.30+ negotiates with this library.
 */
export const SERVER_VERSION = 193;

/** Ids of messages the simulator sends (the library's `IN_MSG_ID`). */
export const TO_CLIENT = {
  ORDER_STATUS: 3, ERR_MSG: 4, OPEN_ORDER: 5, NEXT_VALID_ID: 9, EXECUTION_DATA: 11, MANAGED_ACCTS: 15,
  CURRENT_TIME: 49, OPEN_ORDER_END: 53, EXECUTION_DATA_END: 55, COMMISSION_REPORT: 59, POSITION: 61,
  POSITION_END: 62, ACCOUNT_SUMMARY: 63, ACCOUNT_SUMMARY_END: 64,
} as const;

/** Ids of requests the simulator understands (the library's `OUT_MSG_ID`). */
export const FROM_CLIENT = {
  PLACE_ORDER: 3, CANCEL_ORDER: 4, REQ_OPEN_ORDERS: 5, REQ_EXECUTIONS: 7, REQ_IDS: 8, REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16, REQ_MANAGED_ACCTS: 17, REQ_CURRENT_TIME: 49, REQ_POSITIONS: 61, REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63, CANCEL_POSITIONS: 64, START_API: 71,
} as const;

/** Java's `Double.MAX_VALUE` as TWS prints it: "no value" for doubles such as a commission report's realized P&L. */
export const UNSET_DOUBLE = '1.7976931348623157E308';

/** A request decoded from the client. */
export type ClientRequest =
  | { readonly type: 'startApi'; readonly clientId: number }
  | {
    readonly type: 'placeOrder'; readonly orderId: number;
    readonly contract: Omit<SimContract, 'conId'>;
    readonly action: string; readonly quantity: number; readonly orderType: string;
    readonly limitPrice: number | undefined; readonly auxPrice: number | undefined;
    readonly tif: string; readonly account: string; readonly orderRef: string;
  }
  | { readonly type: 'cancelOrder'; readonly orderId: number }
  | { readonly type: 'reqOpenOrders' | 'reqAllOpenOrders' | 'reqAutoOpenOrders' | 'reqIds' | 'reqManagedAccts' | 'reqCurrentTime' | 'reqPositions' | 'cancelPositions' }
  | { readonly type: 'reqExecutions'; readonly reqId: number; readonly clientId: number; readonly account: string; readonly symbol: string; readonly side: string }
  | { readonly type: 'reqAccountSummary'; readonly reqId: number; readonly group: string; readonly tags: readonly string[] }
  | { readonly type: 'cancelAccountSummary'; readonly reqId: number }
  | { readonly type: 'unsupported'; readonly msgId: number };

const int = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number.parseInt(s, 10));
const optionalNumber = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n !== Number.MAX_VALUE ? n : undefined;
};

/** Decodes one client message (server version 193 layouts). */
export const parseRequest = (f: readonly string[]): ClientRequest => {
  const msgId = int(f[0]);
  switch (msgId) {
    case FROM_CLIENT.START_API: return { type: 'startApi', clientId: int(f[2]) };
    case FROM_CLIENT.PLACE_ORDER:
      // [3, id, conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange, primaryExch, currency,
      //  localSymbol, tradingClass, secIdType, secId, action, totalQuantity, orderType, lmtPrice, auxPrice, tif,
      //  ocaGroup, account, openClose, origin, orderRef, transmit, ...]
      return {
        type: 'placeOrder', orderId: int(f[1]),
        contract: { symbol: f[3] ?? '', secType: f[4] ?? '', exchange: f[9] ?? '', primaryExchange: f[10] ?? '', currency: f[11] ?? '' },
        action: f[16] ?? '', quantity: Number(f[17] ?? Number.NaN), orderType: f[18] ?? '',
        limitPrice: optionalNumber(f[19]), auxPrice: optionalNumber(f[20]), tif: f[21] ?? '', account: f[23] ?? '', orderRef: f[26] ?? '',
      };
    // From CME_TAGGING_FIELDS (192) the cancel carries no version: [4, id, manualOrderCancelTime, extOperator, indicator].
    case FROM_CLIENT.CANCEL_ORDER: return { type: 'cancelOrder', orderId: int(f[1]) };
    case FROM_CLIENT.REQ_OPEN_ORDERS: return { type: 'reqOpenOrders' };
    case FROM_CLIENT.REQ_ALL_OPEN_ORDERS: return { type: 'reqAllOpenOrders' };
    case FROM_CLIENT.REQ_AUTO_OPEN_ORDERS: return { type: 'reqAutoOpenOrders' };
    case FROM_CLIENT.REQ_IDS: return { type: 'reqIds' };
    case FROM_CLIENT.REQ_MANAGED_ACCTS: return { type: 'reqManagedAccts' };
    case FROM_CLIENT.REQ_CURRENT_TIME: return { type: 'reqCurrentTime' };
    case FROM_CLIENT.REQ_POSITIONS: return { type: 'reqPositions' };
    case FROM_CLIENT.CANCEL_POSITIONS: return { type: 'cancelPositions' };
    // [7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]
    case FROM_CLIENT.REQ_EXECUTIONS: return { type: 'reqExecutions', reqId: int(f[2]), clientId: int(f[3]), account: f[4] ?? '', symbol: f[6] ?? '', side: f[9] ?? '' };
    case FROM_CLIENT.REQ_ACCOUNT_SUMMARY:
      return { type: 'reqAccountSummary', reqId: int(f[2]), group: f[3] ?? '', tags: (f[4] ?? '').split(',').map((t) => t.trim()).filter(Boolean) };
    case FROM_CLIENT.CANCEL_ACCOUNT_SUMMARY: return { type: 'cancelAccountSummary', reqId: int(f[2]) };
    default: return { type: 'unsupported', msgId };
  }
};

/** First message: server version and connection time. */
export const serverHello = (version: number, connectionTime: string): Field[] => [version, connectionTime];
/** `managedAccounts`: comma-separated account ids. */
export const managedAccounts = (accounts: readonly string[]): Field[] => [TO_CLIENT.MANAGED_ACCTS, 1, accounts.join(',')];
/** `nextValidId`. */
export const nextValidId = (orderId: number): Field[] => [TO_CLIENT.NEXT_VALID_ID, 1, orderId];
/** `error` (version 2; from 166 with an empty advanced-reject JSON); id -1 for messages about no request. */
export const errorMessage = (id: number, code: number, message: string): Field[] => [TO_CLIENT.ERR_MSG, 2, id, code, message, ''];
/** `currentTime` in Unix seconds. */
export const currentTime = (seconds: number): Field[] => [TO_CLIENT.CURRENT_TIME, 1, seconds];
/** `openOrderEnd`. */
export const openOrderEnd = (): Field[] => [TO_CLIENT.OPEN_ORDER_END, 1];
/** `execDetailsEnd`. */
export const execDetailsEnd = (reqId: number): Field[] => [TO_CLIENT.EXECUTION_DATA_END, 1, reqId];
/** `positionEnd`. */
export const positionEnd = (): Field[] => [TO_CLIENT.POSITION_END, 1];
/** `accountSummary`: one tag of one account. */
export const accountSummary = (reqId: number, account: string, tag: string, value: string, currency: string): Field[] =>
  [TO_CLIENT.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency];
/** `accountSummaryEnd`. */
export const accountSummaryEnd = (reqId: number): Field[] => [TO_CLIENT.ACCOUNT_SUMMARY_END, 1, reqId];

/** `orderStatus`: [id, status, filled, remaining, avgFillPrice, permId, parentId, lastFillPrice, clientId, whyHeld, mktCapPrice]. */
export const orderStatus = (o: SimOrder): Field[] => [
  TO_CLIENT.ORDER_STATUS, o.orderId, o.status, o.filled, o.quantity - o.filled, o.avgFillPrice, o.permId, 0,
  o.lastFillPrice, o.clientId, '', 0,
];

/** `position` (version 3): account, contract, position, average cost. */
export const position = (account: string, c: SimContract, quantity: number, averageCost: number): Field[] => [
  TO_CLIENT.POSITION, 3, account, c.conId, c.symbol, c.secType, '', 0, '', '', '', c.currency, c.symbol, c.symbol, quantity, averageCost,
];

/** `execDetails`; reqId -1 for an execution pushed as it happens. */
export const execDetails = (reqId: number, e: SimExecution): Field[] => [
  TO_CLIENT.EXECUTION_DATA, reqId, e.orderId,
  e.contract.conId, e.contract.symbol, e.contract.secType, '', 0, '', '', e.contract.exchange, e.contract.currency, e.contract.symbol, e.contract.symbol,
  e.execId, e.time, e.account, e.exchange, e.side, e.shares, e.price, e.permId, e.clientId, 0, e.cumQty, e.avgPrice, e.orderRef,
  '', '', '', e.liquidity, 0,
];

/** `commissionReport`: execId, commission, currency, realized P&L (unset on opening trades), yield, redemption date. */
export const commissionReport = (e: SimExecution): Field[] => [
  TO_CLIENT.COMMISSION_REPORT, 1, e.execId, e.commission, e.contract.currency, e.realizedPnl ?? UNSET_DOUBLE, UNSET_DOUBLE, '',
];

/** `openOrder` at version 193: every field the library's `decodeMsg_OPEN_ORDER` reads, in its order. */
export const openOrder = (o: SimOrder): Field[] => {
  const c = o.contract;
  return [
    TO_CLIENT.OPEN_ORDER, o.orderId,
    // contract: conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange, currency, localSymbol, tradingClass
    c.conId, c.symbol, c.secType, '', 0, '', '', c.exchange, c.currency, c.symbol, c.symbol,
    // action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account, openClose, origin, orderRef
    o.action, o.quantity, o.orderType, o.limitPrice, o.auxPrice, o.tif, '', o.account, '', 0, o.orderRef,
    // clientId, permId, outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAllocation, faGroup, faMethod, faPercentage
    o.clientId, o.permId, 0, 0, 0, '', '', '', '', '',
    // modelCode, goodTillDate, rule80A, percentOffset, settlingFirm, shortSaleSlot, designatedLocation, exemptCode
    '', '', '', '', '', 0, '', -1,
    // auctionStrategy, startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper, displaySize
    0, '', '', '', '', '', '',
    // blockOrder, sweepToFill, allOrNone, minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap, parentId, triggerMethod
    0, 0, 0, '', 0, 0, 0, '', 0, 0,
    // volatility, volatilityType, deltaNeutralOrderType (empty: no delta-neutral fields follow), deltaNeutralAuxPrice,
    // continuousUpdate, referencePriceType
    '', 0, '', '', 0, 0,
    // trailStopPrice, trailingPercent, basisPoints, basisPointsType
    '', '', '', '',
    // comboLegsDescription, comboLegs count, orderComboLegs count, smartComboRoutingParams count
    '', 0, 0, 0,
    // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement (empty: no scale fields follow), hedgeType (empty)
    '', '', '', '',
    // optOutSmartRouting, clearingAccount, clearingIntent, notHeld, deltaNeutralContract present, algoStrategy (empty)
    0, '', '', 0, 0, '',
    // solicited, whatIf, order state status, then 9 margin values, commission, min, max, commission currency, warning
    0, 0, o.status, '', '', '', '', '', '', '', '', '', '', '', '', '', '',
    // randomizeSize, randomizePrice, conditions count (MKT/LMT/STP carry no peg-to-benchmark fields)
    0, 0, 0,
    // adjustedOrderType, triggerPrice, trailStopPrice, lmtPriceOffset, adjustedStopPrice, adjustedStopLimitPrice,
    // adjustedTrailingAmount, adjustableTrailingUnit
    '', '', '', '', '', '', '', 0,
    // softDollarTier name, value, displayName; cashQty; dontUseAutoPriceForHedge; isOmsContainer; discretionaryUpToLimitPrice
    '', '', '', '', 0, 0, 0,
    // usePriceMgmtAlgo, duration, postToAts, autoCancelParent
    0, '', '', 0,
    // minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf
    '', '', '', '', '',
    // customerAccount, professionalCustomer, bondAccruedInterest, includeOvernight, extOperator, manualOrderIndicator
    '', 0, '', 0, '', '',
  ];
};

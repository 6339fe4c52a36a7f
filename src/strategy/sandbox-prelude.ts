/**
 * The script that runs first inside a strategy's QuickJS sandbox, before the strategy module. It takes the
 * host functions (`__host`) off the global object so the strategy cannot call them directly, builds the
 * frozen {@link StrategyApi} object, `setTimeout`/`clearTimeout`, `performance.now()`, `console`, and the entry points the
 * sandbox worker calls (`__describe`, `__init`, `__bar`, `__fire`). Values cross the boundary as JSON with
 * BigInts as `{"$bigint":"…"}` and byte arrays as `{"$bytes":[…]}`.
 */

/** Source of the sandbox prelude (plain ES2023, evaluated as global code inside QuickJS). */
export const SANDBOX_PRELUDE = String.raw`
(() => {
  'use strict';
  const host = globalThis.__host;
  delete globalThis.__host;
  const isTagged = (x, key) => x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && key in x;
  const enc = (v) => JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? { $bigint: String(x) } : x instanceof Uint8Array ? { $bytes: Array.from(x) } : x);
  const dec = (s) => s === undefined ? undefined : JSON.parse(s, (_k, x) =>
    isTagged(x, '$bigint') ? BigInt(x.$bigint) : isTagged(x, '$bytes') ? new Uint8Array(x.$bytes) : x);
  const serr = (e) => {
    if (e instanceof Error) {
      const out = { name: String(e.name), message: String(e.message) };
      if (typeof e.stack === 'string') out.stack = e.stack;
      if (typeof e.code === 'string') out.code = e.code;
      if (typeof e.reason === 'string') out.reason = e.reason;
      return out;
    }
    let message;
    try { message = typeof e === 'string' ? e : JSON.stringify(e) ?? String(e); } catch { message = String(e); }
    return { name: 'NonError', message };
  };
  const request = (method) => (...args) => {
    let json;
    try { json = enc(args); } catch (e) { return Promise.reject(e); }
    return host.request(method, json).then(dec);
  };
  const notify = (method) => (...args) => {
    try { host.notify(method, enc(args)); } catch { /* log and mark never throw into the strategy */ }
  };
  const api = Object.freeze({
    getRange: request('getRange'), readLastData: request('readLastData'), executeSQL: request('executeSQL'),
    subscribeRealtime: request('subscribeRealtime'), placeOrder: request('placeOrder'), getPositions: request('getPositions'),
    cancelOrder: request('cancelOrder'), getAccountInfo: request('getAccountInfo'), getOpenOrders: request('getOpenOrders'),
    getOrderStatus: request('getOrderStatus'), log: notify('log'), mark: notify('mark'),
  });
  const timers = new Map();
  let nextTimer = 1;
  const setTimer = (fn, ms, args, repeat) => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
    const id = nextTimer++;
    const delay = Math.max(0, Number(ms) || 0);
    timers.set(id, { fn: () => fn(...args), repeat: repeat ? delay : undefined });
    host.timer(id, delay);
    return id;
  };
  const clearTimer = (id) => { if (timers.delete(id)) host.clearTimer(id); };
  globalThis.setTimeout = (fn, ms, ...args) => setTimer(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => setTimer(fn, ms, args, true);
  globalThis.clearTimeout = clearTimer;
  globalThis.clearInterval = clearTimer;
  const timeOrigin = host.timeOrigin();
  globalThis.performance = Object.freeze({ timeOrigin, now: () => host.now() });
  if (typeof globalThis.queueMicrotask !== 'function') globalThis.queueMicrotask = (fn) => { Promise.resolve().then(fn); };
  const text = (args) => args.map((a) => typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })()).join(' ');
  globalThis.console = Object.freeze({
    log: (...a) => api.log('info', text(a)), info: (...a) => api.log('info', text(a)), debug: (...a) => api.log('debug', text(a)),
    warn: (...a) => api.log('warn', text(a)), error: (...a) => api.log('error', text(a)),
  });
  let strategy;
  const uncaught = (e) => host.uncaught(enc(serr(e)));
  globalThis.__fire = (id) => {
    const timer = timers.get(id);
    if (!timer) return;
    if (timer.repeat === undefined) timers.delete(id); else host.timer(id, timer.repeat);
    try { timer.fn(); } catch (e) { uncaught(e); }
  };
  globalThis.__describe = () => {
    Promise.resolve(globalThis.__module).then((m) => {
      delete globalThis.__module;
      const s = m.default ?? m.strategy;
      strategy = s;
      const shape = typeof s !== 'object' || s === null ? null : {
        name: s.name, initialize: typeof s.initialize, processData: typeof s.processData,
        configSchema: s.configSchema === undefined ? undefined : (typeof s.configSchema === 'object' ? s.configSchema : 'invalid'),
      };
      host.described(enc(shape));
    }, (e) => host.loadFailed('import', enc(serr(e))));
  };
  globalThis.__init = (json) => {
    Promise.resolve().then(() => strategy.initialize(dec(json), api))
      .then(() => host.ready(), (e) => host.loadFailed('initialize', enc(serr(e))));
  };
  globalThis.__bar = (seq, json) => {
    const bar = Object.freeze(dec(json));
    Promise.resolve().then(() => strategy.processData(bar, api))
      .then(() => host.done(seq), (e) => host.failed(seq, enc(serr(e))));
  };
})();
`;

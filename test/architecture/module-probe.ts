/**
 * Preloaded into a CLI child (`NODE_OPTIONS=--import=<this file>`) by test/architecture/record-path.test.ts: notes
 * every module the process loads, ESM and CommonJS, through Node's in-thread loader hooks, and prints the list as
 * one `LOADED_MODULES <json>` line on stderr when the process exits.
 */
import { registerHooks } from 'node:module';

const loaded = new Set<string>();
registerHooks({
  load(url, context, next) {
    loaded.add(url);
    return next(url, context);
  },
});
process.on('exit', () => {
  process.stderr.write(`LOADED_MODULES ${JSON.stringify([...loaded])}\n`);
});

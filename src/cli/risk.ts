/**
 * `argo-realtime risk reset --db <file> --session <id>`: re-arms the kill switch of a stopped session by appending
 * a `risk:risk.reset` event to its log, so that the next `run` with the same session id resumes armed. A running
 * session holds the file (DuckDB's lock): stop it first; in a program, call `session.risk.reset()` instead.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import pc from 'picocolors';
import { describe } from '../errors.ts';
import { SessionEventLog } from '../session/event-log.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { Output } from './output.ts';

/** Options of `risk reset`. */
export interface RiskResetOptions {
  readonly db: string;
  readonly session: string;
}

/** The kill switch a session's log leaves: the last `risk.killed` not followed by a `risk.reset`. */
export const killSwitchOf = (rows: readonly { readonly type: string; readonly payload: Record<string, unknown> }[]): { tripped: boolean; reason?: string } => {
  let state: { tripped: boolean; reason?: string } = { tripped: false };
  for (const r of rows) {
    if (r.type === 'risk:risk.killed') state = { tripped: true, reason: String(r.payload.reason) };
    else if (r.type === 'risk:risk.reset') state = { tripped: false };
  }
  return state;
};

/** `risk reset`. */
export const runRiskReset = async (out: Output, options: RiskResetOptions): Promise<ExitCode> => {
  if (!existsSync(options.db)) {
    out.error(`${pc.red('error CONFIG_INVALID')} ${options.db}: no such file`);
    return EXIT.config;
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(options.db);
  } catch (e) {
    out.error(`${pc.red('error')} cannot open ${options.db} (is a session still running on it?): ${describe(e)}`);
    return EXIT.failure;
  }
  const conn = await instance.connect();
  try {
    const rows = await SessionEventLog.read(conn, options.session).catch(() => []);
    if (rows.length === 0) {
      out.error(`${pc.red('error CONFIG_INVALID')} ${options.db} has no events of session ${options.session}`);
      return EXIT.config;
    }
    const before = killSwitchOf(rows);
    if (!before.tripped) {
      out.line(`kill switch of ${options.session} is armed already: nothing to reset`);
      return EXIT.ok;
    }
    const log = await SessionEventLog.open(conn, options.session);
    log.append('risk:risk.reset', { at: Date.now(), by: 'cli' }, Date.now());
    await log.flush();
    out.line(`${pc.green('kill switch reset')} for ${options.session} (it was tripped: ${before.reason}); the next run with this session id starts armed` +
      pc.dim(' unless the daily loss limit is still breached that day'));
    return EXIT.ok;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
};

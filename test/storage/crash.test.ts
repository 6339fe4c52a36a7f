/**
 * Durability under SIGKILL: a child process writes at full speed and reports each acknowledged flush; the test
 * kills it mid-stream, reopens the file, and checks that it opens cleanly and holds every acknowledged write.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { DuckDBRealtimeWriter } from '../../src/storage/duckdb-writer.ts';
import { crashId, crashKey } from './fixtures/crash-writes.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps every acknowledged flush when the writing process is killed with SIGKILL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-crash-'));
  dirs.push(dir);
  const file = path.join(dir, 'crash.duckdb');
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'crash-writer.ts'), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let acked = 0;
  let acks = 0;
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const m = /^acked (\d+)$/.exec(line);
    if (!m) continue;
    acked = Number(m[1]);
    // Kill mid-stream: the child is writing, with a flush in progress or about to start.
    if (++acks === 25) {
      child.kill('SIGKILL');
      break;
    }
  }
  expect(await exited, stderr).toBe('SIGKILL');
  expect(acked).toBeGreaterThan(5_000);

  const reopened = await DuckDBRealtimeWriter.open({ output_path: file, flush_interval_ms: 0 });
  try {
    const conn = await reopened.connect();
    const rows = (await conn.runAndReadAll('SELECT id, volume FROM realtime_market_data')).getRowObjectsJson();
    conn.closeSync();
    const stored = new Map(rows.map((r) => [String(r.id), Number(r.volume)]));
    // Every key written by an acknowledged write is stored with that write's value or a later one.
    const lastAcked = new Map<number, number>();
    for (let j = 0; j < acked; j++) lastAcked.set(crashKey(j), j);
    const missing: number[] = [];
    const stale: number[] = [];
    for (const [k, j] of lastAcked) {
      const volume = stored.get(crashId(k));
      if (volume === undefined) missing.push(k);
      else if (volume < j) stale.push(k);
    }
    expect(missing).toEqual([]);
    expect(stale).toEqual([]);
  } finally {
    await reopened.close();
  }
});

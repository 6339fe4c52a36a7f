/**
 * Profiles the record pipeline as the peers benchmark runs it: one `bench/peers.bench.ts` child per client and
 * symbol count, with V8's sampling profiler on over the measured window only (start-up and the exactness check
 * excluded), then prints the top self-time functions and files.
 *
 *   node scripts/profile-record.ts [--clients record,binance] [--symbols 10,1000] [--messages 100000] [--top 15] [--out dir]
 *
 * The `.cpuprofile` files stay in `--out` (default: a temp folder) for Chrome DevTools or speedscope.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flags, runChild } from '../bench/support/common.ts';
import { renderSummary, summariseProfile, type CpuProfile } from '../bench/support/cpu-profile.ts';
import type { PeerResult } from '../bench/peers.bench.ts';

const f = flags(process.argv.slice(2));
const clients = (f.clients ?? 'record').split(',');
const symbolCounts = (f.symbols ?? '10,1000').split(',').map(Number);
const messages = f.messages ?? '100000';
const top = Number(f.top ?? 15);
const out = f.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'argo-profile-'));
fs.mkdirSync(out, { recursive: true });
const script = fileURLToPath(new URL('../bench/peers.bench.ts', import.meta.url));

for (const client of clients) {
  for (const symbols of symbolCounts) {
    const file = path.join(out, `${client}-${symbols}.cpuprofile`);
    const r = await runChild<PeerResult>(script, ['--client', client, '--symbols', String(symbols), '--messages', messages, '--profile', file]);
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    console.log(`## ${client}, ${symbols} symbols: ${Math.round(r.rate)} msg/s, ${r.cpuUsPerMsg.toFixed(2)} µs/msg (profile: ${file})\n`);
    console.log(renderSummary(`${client} ${symbols}`, summariseProfile(profile, top)));
  }
}

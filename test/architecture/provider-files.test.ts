/**
 * Every market data provider folder has the same file set with the same roles (docs/adding-a-provider.md): the
 * eight files exist, `index.ts` holds the provider class and routes no frame (frames go through `feed.ts`), and
 * no connection timeout is an inline number in `index.ts` (they come from `config.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const providersDir = path.join(root, 'src/providers');
const FILE_SET = ['backfill.ts', 'config.ts', 'feed.ts', 'index.ts', 'messages.ts', 'parse.ts', 'subscriptions.ts', 'urls.ts'];
const venues = fs.readdirSync(providersDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'shared').map((d) => d.name).sort();
const read = (venue: string, file: string): string => fs.readFileSync(path.join(providersDir, venue, file), 'utf8');

describe('provider file set', () => {
  it('finds the Binance and Polygon providers', () => {
    expect(venues).toEqual(expect.arrayContaining(['binance', 'polygon']));
  });

  it.each(venues)('%s has every file of the common set', (venue) => {
    const files = new Set(fs.readdirSync(path.join(providersDir, venue)));
    expect(FILE_SET.filter((f) => !files.has(f))).toEqual([]);
  });

  it.each(venues)('%s routes frames in feed.ts, not in index.ts', (venue) => {
    const index = read(venue, 'index.ts');
    expect(index).not.toMatch(/\bparse\w*Frame\b/);
    expect(index).not.toMatch(/\bonFrame\b/);
    expect(read(venue, 'feed.ts')).toMatch(/\bparse\w*Frame\(/);
  });

  it.each(venues)('%s takes its connection timeouts from config.ts', (venue) => {
    expect(read(venue, 'index.ts')).not.toMatch(/(Timeout|TIMEOUT)\w*\s*[:=]\s*\d/);
    expect(read(venue, 'config.ts')).toMatch(/ConnectionInput\s*=>/);
  });
});

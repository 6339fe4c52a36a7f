import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('argo-realtime --version', () => {
  it('prints the version in package.json and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });
});

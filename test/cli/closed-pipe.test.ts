/** The CLI when its reader goes away early (`argo-realtime providers | head -1`): no crash, the usual exit code. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('a closed output pipe', () => {
  it('ends `providers` with exit 0 and no crash report when the reader closes after the first chunk', async () => {
    const child = spawn(process.execPath, [MAIN, 'providers'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toMatch(/crashed|EPIPE/);
    expect(code).toBe(0);
  });
});

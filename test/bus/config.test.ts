/** The `bus:` section, its secrets, and the `--bus` / `--source` flags. */
import { describe, expect, it } from 'vitest';
import { withBusFlags } from '../../src/cli/bus-flags.ts';
import { decodeBusConfig } from '../../src/bus/config.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { decodeSessionConfig } from '../../src/config/session-config.ts';
import { redact } from '../../src/secrets.ts';

const yaml = (bus: string) => `session:\n  realtime_provider: binance-realtime\n  symbols: [BTCUSDT]\nbus:\n${bus}`;
const base = () => decodeSessionConfig({ session: { realtime_provider: 'binance-realtime', symbols: ['BTCUSDT'] } });

describe('bus config', () => {
  it('accepts one URL or a comma-separated cluster and refuses anything else', () => {
    expect(decodeBusConfig({ url: 'nats://127.0.0.1:4222' }).stream).toBe('ARGO_BARS');
    expect(decodeBusConfig({ url: 'nats://a:1, nats://b:2,nats://c:3' }).url).toContain('nats://c:3');
    for (const url of ['http://a:1', 'nats://a b', '']) expect(() => decodeBusConfig({ url })).toThrow(/bus/);
    expect(() => decodeBusConfig({ url: 'nats://a:1', subject_prefix: 'a.*' })).toThrow(/subject_prefix/);
  });

  it('refuses a literal password in the file and takes one from the environment, registered for redaction', () => {
    expect(() => parseConfigText(yaml('  url: nats://127.0.0.1:4222\n  password: hunter22\n'), { file: 'c.yaml', baseDir: '.' }))
      .toThrow(/secret cannot be written in the file/);
    const config = parseConfigText(yaml('  url: nats://127.0.0.1:4222\n  user: rec\n  password: ${NATS_PW}\n'), { file: 'c.yaml', baseDir: '.', env: { NATS_PW: 's3cret-pw' } });
    expect(config.bus?.password).toBe('s3cret-pw');
    expect(redact('auth with s3cret-pw')).toBe('auth with ***');
  });

  it('applies --bus as publish and --source as consume, and refuses both together', () => {
    expect(withBusFlags(base(), { bus: 'nats://127.0.0.1:1' }).bus).toMatchObject({ url: 'nats://127.0.0.1:1', mode: 'publish' });
    expect(withBusFlags(base(), { source: 'nats://127.0.0.1:1' }).bus).toMatchObject({ mode: 'consume' });
    expect(() => withBusFlags(base(), { bus: 'nats://a:1', source: 'nats://a:1' })).toThrow(/exclude each other/);
    expect(() => withBusFlags(base(), { bus: 'redis://a:1' })).toThrow(/nats:\/\//);
    expect(withBusFlags(base(), {})).toEqual(base());
  });
});

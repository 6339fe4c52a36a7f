/**
 * Real `nats-server` processes for tests: JetStream on 127.0.0.1, a fresh store directory, a free port, started
 * and stopped by PID (never by name). `kill()` is a SIGKILL; `restart()` brings the same server back on the same
 * port and store. A cluster is three such servers routed to each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback port (bound, then released). */
export const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

/** One nats-server process. */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly name: string;
  private readonly extra: readonly string[];
  private child: ChildProcess | undefined;
  private readonly ownsStore: boolean;
  /** What the running process has logged so far, and the waits re-checked on each new chunk of it. */
  private log = '';
  private readonly logWaits = new Set<() => void>();

  constructor(port: number, name: string, extra: readonly string[] = [], storeDir?: string) {
    this.port = port;
    this.name = name;
    this.extra = extra;
    this.ownsStore = storeDir === undefined;
    this.storeDir = storeDir ?? mkdtempSync(join(tmpdir(), 'argo-nats-'));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; resolves when it logs that it is ready for client connections. */
  start(readyLine = /Server is ready/): Promise<void> {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, '-n', this.name, ...this.extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
      for (const check of [...this.logWaits]) check();
    });
    return new Promise((resolve, reject) => {
      this.logged(readyLine).then(resolve, reject);
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${this.log}`)));
      child.once('error', reject);
    });
  }

  /**
   * Resolves once the running process has logged a line matching `pattern`, checked on each chunk it writes;
   * rejects after `ms` when given (without it, the test's own timeout bounds the wait).
   */
  logged(pattern: RegExp, ms?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (pattern.test(this.log)) return resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = (): void => {
        if (!pattern.test(this.log)) return;
        this.logWaits.delete(check);
        clearTimeout(timer);
        resolve();
      };
      // A failure bound only: the wait ends on the log line.
      if (ms !== undefined) {
        timer = setTimeout(() => {
          this.logWaits.delete(check);
          reject(new Error(`nats-server ${this.name} logged nothing matching ${pattern} in ${ms} ms:\n${this.log}`));
        }, ms);
      }
      this.logWaits.add(check);
    });
  }

  /** SIGKILLs the process; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts it again on the same port and store. */
  restart(readyLine?: RegExp): Promise<void> {
    return this.start(readyLine);
  }

  /** Kills it and removes its store. */
  async stop(): Promise<void> {
    await this.kill();
    if (this.ownsStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** A single JetStream server on a free port. */
export const startNatsServer = async (): Promise<NatsServer> => {
  const server = new NatsServer(await freePort(), `argo-test-${process.pid}`);
  await server.start();
  return server;
};

/** A three-node JetStream cluster on loopback; resolves once every node is ready. */
export const startNatsCluster = async (size = 3): Promise<NatsServer[]> => {
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes = ports.map((p, i) => new NatsServer(p, `argo-n${i}`, [
    '--cluster_name', 'argo-test', '--cluster', `nats://127.0.0.1:${routes[i]}`,
    '--routes', routes.filter((_, j) => j !== i).map((r) => `nats://127.0.0.1:${r}`).join(','),
  ]));
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
};

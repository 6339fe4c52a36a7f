import { describe, expect, it } from 'vitest';
import { SOURCE_CONDITION, runningFromSource, siblingModuleUrl, workerExecArgv } from '../src/module-url.ts';

describe('siblingModuleUrl', () => {
  it('gives a sibling the running module\'s own extension', () => {
    expect(siblingModuleUrl('./worker', 'file:///repo/src/strategy/worker-host.ts').href).toBe('file:///repo/src/strategy/worker.ts');
    expect(siblingModuleUrl('./worker', 'file:///pkg/dist/src/strategy/worker-host.js').href).toBe('file:///pkg/dist/src/strategy/worker.js');
    expect(siblingModuleUrl('../../examples/ma-cross.strategy', 'file:///pkg/dist/src/cli/demo.js').href).toBe('file:///pkg/dist/examples/ma-cross.strategy.js');
  });
});

describe('workerExecArgv', () => {
  it('adds the source condition, once, when running from sources', () => {
    expect(runningFromSource('file:///repo/src/strategy/worker-host.ts')).toBe(true);
    const argv = workerExecArgv('file:///repo/src/strategy/worker-host.ts')!;
    expect(argv.filter((a) => a === `--conditions=${SOURCE_CONDITION}`)).toHaveLength(1);
    expect(argv.slice(0, process.execArgv.length)).toEqual(process.execArgv);
  });

  it('leaves a built worker with Node\'s default', () => {
    expect(runningFromSource('file:///pkg/dist/src/strategy/worker-host.js')).toBe(false);
    expect(workerExecArgv('file:///pkg/dist/src/strategy/worker-host.js')).toBeUndefined();
  });
});

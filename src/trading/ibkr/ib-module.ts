/**
 * `@stoqey/ib` loaded on first use instead of at import time: with rxjs it is ~300 modules, ~22 MB of RSS and
 * 0.3–0.5 s of start-up on a 2-core machine, which every `record` and every non-IBKR session paid because the
 * trading registry imports this provider (docs/benchmarks.md, start-up and memory).
 */
import { createRequire } from 'node:module';

type IbModule = typeof import('@stoqey/ib');
let loaded: IbModule | undefined;

/** The `@stoqey/ib` module (CommonJS), required once on the first call. */
export const ib = (): IbModule => (loaded ??= createRequire(import.meta.url)('@stoqey/ib') as IbModule);

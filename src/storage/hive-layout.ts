/**
 * The one Hive layout of the project's Parquet history, shared by `export` (from a DuckDB file) and the bus's
 * Parquet roll: `<dir>/date=YYYY-MM-DD/provider=<p>/interval=<i>/<file>.parquet`, by UTC date of the bar's open
 * time first, then provider and interval, so a day is one subtree and one interval's bars never mix with another's.
 */
import { join } from 'node:path';

/** The partition keys, outermost first (also the `PARTITION_BY` order of a DuckDB `COPY`). */
export const HIVE_KEYS = ['date', 'provider', 'interval'] as const;

/** One partition's key values. */
export interface HivePartition {
  /** UTC `YYYY-MM-DD`. */
  readonly date: string;
  readonly provider: string;
  readonly interval: string;
}

// Hive escapes characters that cannot appear in a path segment (Hive's FileUtils.escapePathName).
/** A partition value escaped for a path segment. */
export const hiveValue = (v: string): string => v.replace(/[\u0000-\u001f"#%'*/:=?\\\u007f{[\]^]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** The partition's path relative to the root, `date=…/provider=…/interval=…`. */
export const partitionPath = (p: HivePartition): string => join(...HIVE_KEYS.map((k) => `${k}=${hiveValue(p[k])}`));

/** The partition's directory under `dir`. */
export const partitionDir = (dir: string, p: HivePartition): string => join(dir, partitionPath(p));

/** The UTC `YYYY-MM-DD` of a Unix-ms time. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

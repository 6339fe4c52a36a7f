/** Types of `parse-prometheus-text-format` (the package ships none). */
declare module 'parse-prometheus-text-format' {
  /** One parsed sample; summaries carry `quantiles`, `sum` and `count` instead of `value`. */
  export interface ParsedSample {
    readonly labels?: Readonly<Record<string, string>>;
    readonly value?: string;
    readonly quantiles?: Readonly<Record<string, string>>;
    readonly sum?: string;
    readonly count?: string;
  }
  /** One metric family. */
  export interface ParsedFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    readonly metrics: readonly ParsedSample[];
  }
  /** Parses the Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}

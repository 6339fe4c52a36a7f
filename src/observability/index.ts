/**
 * Observability of a session: offline traces (`--trace`, `trace summarize`), a Prometheus endpoint
 * (`--metrics`) and the Stately inspector (`--inspect`). See docs/observability.md.
 */
import type { InspectionEvent } from 'xstate';

export { createTraceWriter, type TraceLine, type TraceWriter, type TraceWriterOptions } from './trace-writer.ts';
export { parseTraceLine, readTrace, TRACE_FORMAT_VERSION, TraceLineSchema, type ReadTraceOptions } from './trace-reader.ts';
export { summarizeTrace, renderTraceSummary, type ActorTimeline, type TraceSummary, type TraceSummaryOptions, type TraceTransition } from './trace-summary.ts';
export { METRICS_CONTENT_TYPE, renderMetrics, startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics.ts';
export { METRIC_FAMILIES, type MetricFamily, type MetricSample, type SummaryFamily, type SummarySnapshot, type ValueFamily } from './metric-families.ts';
export { startInspector, type Inspector, type InspectorOptions } from './inspector.ts';
export { ActorNames, stateText } from './actor-names.ts';
export { toTraceValue, type TraceValue } from './sanitize.ts';

/** One `inspect` function that forwards every inspection event to each of `observers` (e.g. a trace and the inspector). */
export const combineInspect = (
  ...observers: readonly (((event: InspectionEvent) => void) | undefined)[]
): ((event: InspectionEvent) => void) | undefined => {
  const list = observers.filter((o): o is (event: InspectionEvent) => void => o !== undefined);
  if (list.length <= 1) return list[0];
  return (event) => {
    for (const o of list) o(event);
  };
};

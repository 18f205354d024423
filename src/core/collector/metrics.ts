/**
 * POST /v1/metrics: OTLP/HTTP metrics (ExportMetricsServiceRequest), application/json or
 * application/x-protobuf: gauges and sums kept with their run, histograms and summaries
 * accepted and not stored (signal.ts says how it answers).
 */
import type { Limits } from '../limits';
import { encodeMetricsResponse, metricsFromJson, metricsFromProtobuf } from '../ingest/otlpMetrics';
import type { CollectorStats, Route } from './route';
import { signalRoute } from './signal';

export function metricsRoute(limits: Limits, stats: CollectorStats): Route {
  return signalRoute(
    {
      what: 'metric data points',
      rejectedField: 'rejectedDataPoints',
      perRequest: (l) => l.pointsPerRequest,
      count: (r) => r.metrics?.length ?? 0,
      fromJson: metricsFromJson,
      fromProtobuf: metricsFromProtobuf,
      encodeResponse: encodeMetricsResponse,
    },
    limits,
    stats,
  );
}

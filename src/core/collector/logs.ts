/**
 * POST /v1/logs: OTLP/HTTP logs (ExportLogsServiceRequest), application/json or
 * application/x-protobuf, kept with their run (signal.ts says how it answers).
 */
import type { Limits } from '../limits';
import { encodeLogsResponse, logsFromJson, logsFromProtobuf } from '../ingest/otlpLogs';
import type { CollectorStats, Route } from './route';
import { signalRoute } from './signal';

export function logsRoute(limits: Limits, stats: CollectorStats): Route {
  return signalRoute(
    {
      what: 'log records',
      rejectedField: 'rejectedLogRecords',
      perRequest: (l) => l.logsPerRequest,
      count: (r) => r.logs?.length ?? 0,
      fromJson: logsFromJson,
      fromProtobuf: logsFromProtobuf,
      encodeResponse: encodeLogsResponse,
    },
    limits,
    stats,
  );
}

/**
 * OpenTelemetry setup for OTLP/gRPC, the way Python auto-instrumentation, .NET and Phoenix
 * export by default: the JS SDK's trace, log and metric providers with the gRPC exporters
 * (@opentelemetry/exporter-{trace,logs,metrics}-otlp-grpc). Each exporter reads its endpoint
 * from OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT, which `runlens run`
 * points at its gRPC receiver when OTEL_EXPORTER_OTLP_PROTOCOL=grpc; the resource gets
 * OTEL_RESOURCE_ATTRIBUTES (the run id) and the parent context comes from TRACEPARENT.
 */
import { context, propagation, trace, type Context, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { logs, type Logger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { Resource, detectResourcesSync, envDetectorSync, processDetectorSync } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);

const resource = Resource.default()
  .merge(new Resource({ 'service.name': 'grpc-ingest-workflow' }))
  .merge(detectResourcesSync({ detectors: [envDetectorSync, processDetectorSync] }));

const tracerProvider = new NodeTracerProvider({
  resource,
  spanProcessors: exporting ? [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 200 })] : [],
});
tracerProvider.register(); // AsyncLocalStorage context manager + W3C trace-context propagator

const loggerProvider = new LoggerProvider({ resource });
if (exporting) loggerProvider.addLogRecordProcessor(new BatchLogRecordProcessor(new OTLPLogExporter(), { scheduledDelayMillis: 200 }));
logs.setGlobalLoggerProvider(loggerProvider);

// Exported when asked (after each batch, see main.ts) and at shutdown; the interval is a backstop.
const reader = exporting
  ? new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 60_000 })
  : undefined;
const meterProvider = new MeterProvider({ resource, readers: reader ? [reader] : [] });

export const tracer: Tracer = trace.getTracer('examples.grpc_workflow', '0.1.0');
export const logger: Logger = logs.getLogger('examples.grpc_workflow', '0.1.0');
export const meter = meterProvider.getMeter('examples.grpc_workflow', '0.1.0');

/** The context named by TRACEPARENT (or the root context when there is none). */
export function launchContext(): Context {
  const carrier: Record<string, string> = {};
  if (process.env.TRACEPARENT) carrier.traceparent = process.env.TRACEPARENT;
  return propagation.extract(context.active(), carrier);
}

/** Run `fn` inside an active span; a throw is recorded on the span and rethrown. */
export async function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Collect and export the metrics now (one point per instrument and attribute set). */
export async function exportMetrics(): Promise<void> {
  await meterProvider.forceFlush();
}

/** Export what is buffered and stop the providers: call before the process exits. */
export async function shutdown(): Promise<void> {
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
}

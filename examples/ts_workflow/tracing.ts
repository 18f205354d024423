/**
 * OpenTelemetry setup, the standard way: NodeTracerProvider + OTLP/HTTP protobuf exporter.
 * The exporter reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT; the
 * resource gets OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME from the env detector; the
 * parent context comes from TRACEPARENT (W3C) so our spans nest under whoever launched us.
 */
import { context, propagation, trace, type Context, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, detectResourcesSync, envDetectorSync, processDetectorSync } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const hasEndpoint = Boolean(process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT);

const resource = Resource.default()
  .merge(new Resource({ 'service.name': 'ts-report-workflow' }))
  .merge(detectResourcesSync({ detectors: [envDetectorSync, processDetectorSync] }));

export const provider = new NodeTracerProvider({
  resource,
  spanProcessors: hasEndpoint ? [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 200 })] : [],
});
provider.register(); // AsyncLocalStorage context manager + W3C trace-context propagator

export const tracer: Tracer = trace.getTracer('examples.ts_workflow', '0.1.0');

/** The context named by TRACEPARENT (or the root context when there is none). */
export function launchContext(): Context {
  const carrier: Record<string, string> = {};
  if (process.env.TRACEPARENT) carrier.traceparent = process.env.TRACEPARENT;
  if (process.env.TRACESTATE) carrier.tracestate = process.env.TRACESTATE;
  return propagation.extract(context.active(), carrier);
}

/** Run `fn` inside an active span; a throw is recorded on the span and rethrown. */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
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

/** Export what is buffered and stop the provider: call before the process exits. */
export async function shutdown(): Promise<void> {
  await provider.shutdown();
}

/**
 * Where a launched workflow's OTLP exporters send (the runner's environment, runner.ts): each
 * signal to the receiver that speaks the protocol the user's environment chose for it, OTLP/HTTP
 * unless it says `grpc`. OpenTelemetry reads OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL before
 * OTEL_EXPORTER_OTLP_PROTOCOL (values `grpc`, `http/protobuf`, `http/json`); a protocol the
 * user set is never changed, only the endpoints are.
 */

const SIGNALS = [
  ['TRACES', '/v1/traces'],
  ['LOGS', '/v1/logs'],
  ['METRICS', '/v1/metrics'],
] as const;

const isGrpc = (protocol: string | undefined) => protocol?.trim().toLowerCase() === 'grpc';

/**
 * Point `env`'s OTLP exporters at Runlens: `endpoint` is the OTLP/HTTP collector
 * (http://127.0.0.1:PORT), `grpcEndpoint` the OTLP/gRPC receiver, when one listens (without
 * it, every signal goes to OTLP/HTTP). With no protocol set, OTLP/HTTP protobuf is asked for:
 * SDKs that default to gRPC (Python's auto-instrumentation) send where Runlens always listens.
 */
export function pointExporters(env: Record<string, string>, endpoint: string, grpcEndpoint?: string): void {
  const general = env.OTEL_EXPORTER_OTLP_PROTOCOL;
  const overGrpc = (protocol: string | undefined) => grpcEndpoint !== undefined && isGrpc(protocol);
  env.OTEL_EXPORTER_OTLP_ENDPOINT = overGrpc(general) ? grpcEndpoint! : endpoint;
  for (const [signal, path] of SIGNALS) {
    // gRPC endpoints name the server only; OTLP/HTTP per-signal endpoints are whole URLs.
    const protocol = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] || general;
    env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] = overGrpc(protocol) ? grpcEndpoint! : `${endpoint}${path}`;
  }
  if (!general) env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
}

/**
 * OTLP/gRPC receiver, bound to 127.0.0.1 only (default port 4317, beside the OTLP/HTTP
 * collector on 4318): what OpenTelemetry's Python auto-instrumentation, .NET and Phoenix
 * export by default.
 *
 *   opentelemetry.proto.collector.trace.v1.TraceService/Export
 *   opentelemetry.proto.collector.logs.v1.LogsService/Export
 *   opentelemetry.proto.collector.metrics.v1.MetricsService/Export
 *
 * Each request is decoded with the official OTLP schema (the generated protobufjs module of
 * @opentelemetry/otlp-transformer, through the same decoders as OTLP/HTTP protobuf) and stored
 * exactly as the HTTP routes store it (collector/traces.ts `exportRecords`): the same limits,
 * acknowledged once journalled, partial success for what the store refused.
 *
 * Replies follow OTLP/gRPC: OK with an Export…ServiceResponse (partial_success when records
 * were refused); INVALID_ARGUMENT for a message that does not decode or holds more records
 * than one request may (not retryable: the same message would fail again); RESOURCE_EXHAUSTED
 * (grpc-js) for a message, gzip-decompressed or not, over Limits.bodyBytes; UNIMPLEMENTED
 * (grpc-js) for any other service or method.
 *
 * What the HTTP guard rails do that is not needed here: Host/Origin checks and CORS exist
 * because a web page in the user's browser can reach a loopback HTTP port (DNS rebinding,
 * simple cross-origin POSTs). A browser cannot speak gRPC to this port: it is cleartext HTTP/2
 * (prior knowledge, no HTTP/1.1 upgrade), which browsers never open, and grpc-web is not
 * served. There is no Runlens-only endpoint here, so no secret either.
 */
import * as grpc from '@grpc/grpc-js';
import { OtlpFormatError, encodeExportResponse, ingestOtlpProtobuf } from '../ingest/otlp';
import { encodeLogsResponse, logsFromProtobuf } from '../ingest/otlpLogs';
import { encodeMetricsResponse, metricsFromProtobuf } from '../ingest/otlpMetrics';
import { limitsWith, TooDeepError, type Limits } from '../limits';
import type { Store } from '../store/types';
import { DEFAULT_GRPC_PORT } from '../../shared/defaults';
import { HttpError, type CollectorStats, type TraceForward } from './route';
import { exportRecords } from './export';
import { exportTraces } from './traces';

export interface GrpcReceiverOptions {
  /** Port to try first; 0 = ephemeral. Default 4317. A taken port falls back to an ephemeral one (`fellBack`). */
  port?: number;
  /** Request-level limits (bodyBytes: the largest message, after decompression; per-request record counts). */
  limits?: Partial<Limits>;
  /** Counters to add to: pass the HTTP collector's so one count covers both. Default: the receiver's own. */
  stats?: CollectorStats;
  /** A connection with no call for this long is closed (GOAWAY). Default 30 s, as the HTTP collector's. */
  idleTimeoutMs?: number;
  /** Every trace export accepted is also handed here, as received (OTLP forwarding). */
  forward?: TraceForward;
  log?: (message: string) => void;
}

/** One OTLP service: its method's path, and how a request's bytes become the reply's bytes (storing what it holds). */
interface OtlpService {
  path: string;
  what: string;
  export(store: Store, body: Buffer, limits: Limits, stats: CollectorStats, forward?: TraceForward): Uint8Array;
}

const PACKAGE = 'opentelemetry.proto.collector';

const SERVICES: readonly OtlpService[] = [
  {
    path: `/${PACKAGE}.trace.v1.TraceService/Export`,
    what: 'traces',
    export(store, body, limits, stats, forward) {
      const result = exportTraces(store, ingestOtlpProtobuf(body), limits, stats);
      forward?.accept('protobuf', body, result.spans.length);
      return encodeExportResponse(result.rejected, result.rejectMessage);
    },
  },
  {
    path: `/${PACKAGE}.logs.v1.LogsService/Export`,
    what: 'logs',
    export(store, body, limits, stats) {
      const result = logsFromProtobuf(body);
      const n = result.logs?.length ?? 0;
      const out = exportRecords(store, result, n, { max: limits.logsPerRequest, what: 'log records' }, stats);
      return encodeLogsResponse(out.rejected, out.rejectMessage);
    },
  },
  {
    path: `/${PACKAGE}.metrics.v1.MetricsService/Export`,
    what: 'metrics',
    export(store, body, limits, stats) {
      const result = metricsFromProtobuf(body);
      const n = result.metrics?.length ?? 0;
      const out = exportRecords(store, result, n, { max: limits.pointsPerRequest, what: 'metric data points' }, stats);
      return encodeMetricsResponse(out.rejected, out.rejectMessage);
    },
  },
];

/**
 * A service's definition for grpc-js. Messages cross as bytes: the OTLP decoders read the
 * request with the official schema in the handler (so a message that does not decode is
 * answered INVALID_ARGUMENT with the decoder's reason, not grpc-js's INTERNAL), and the reply
 * is already encoded by the OTLP response encoders.
 */
function definition(service: OtlpService): grpc.ServiceDefinition {
  const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    Export: {
      path: service.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: bytes,
      requestDeserialize: bytes,
      responseSerialize: bytes,
      responseDeserialize: bytes,
    },
  };
}

/** A refusal of the sender's message (the same message would be refused again), or undefined for a fault of ours. */
function refusalOf(err: unknown): string | undefined {
  if (err instanceof HttpError || err instanceof OtlpFormatError || err instanceof TooDeepError) return err.message;
  // A stack overflow can only come from a message nested too deep.
  if (err instanceof RangeError) return 'the message is nested too deep';
  return undefined;
}

export class GrpcReceiver {
  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    /** True when the requested port was taken and an ephemeral one is used instead. */
    readonly fellBack: boolean,
    readonly stats: CollectorStats,
  ) {}

  /** What an OTLP/gRPC exporter's endpoint is set to (plain-text gRPC: the `http` scheme). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(store: Store, opts: GrpcReceiverOptions = {}): Promise<GrpcReceiver> {
    const limits = limitsWith(opts.limits);
    const stats = opts.stats ?? { requests: 0, spans: 0, rejected: 0 };
    const make = () => {
      const server = new grpc.Server({
        'grpc.max_receive_message_length': limits.bodyBytes,
        // Replies are a few bytes (an empty response or a partial success).
        'grpc.max_send_message_length': 64 * 1024,
        'grpc.max_connection_idle_ms': opts.idleTimeoutMs ?? 30_000,
        // A connection lives at most 10 minutes (exporters reconnect); a call in flight gets 30 s more.
        'grpc.max_connection_age_ms': 10 * 60_000,
        'grpc.max_connection_age_grace_ms': 30_000,
        // A peer gone silent mid-call is noticed within ~1.5 minutes.
        'grpc.keepalive_time_ms': 60_000,
        'grpc.keepalive_timeout_ms': 20_000,
        'grpc.max_concurrent_streams': 16,
      });
      for (const service of SERVICES) server.addService(definition(service), { Export: handler(service, store, limits, stats, opts) });
      return server;
    };
    const wanted = opts.port ?? DEFAULT_GRPC_PORT;
    let server = make();
    let fellBack = false;
    let port: number;
    try {
      port = await bind(server, wanted);
    } catch (err) {
      if (!/EADDRINUSE/.test((err as Error).message) || wanted === 0) throw err;
      server.forceShutdown();
      fellBack = true;
      server = make();
      port = await bind(server, 0);
    }
    const receiver = new GrpcReceiver(server, port, fellBack, stats);
    if (fellBack) opts.log?.(`port ${wanted} is taken; receiving OTLP/gRPC on ${receiver.endpoint} instead`);
    return receiver;
  }

  /** Stop listening; calls in flight get a moment to finish, then every connection is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

function handler(
  service: OtlpService,
  store: Store,
  limits: Limits,
  stats: CollectorStats,
  { log, forward }: GrpcReceiverOptions,
): grpc.handleUnaryCall<Buffer, Uint8Array> {
  return (call, callback) => {
    stats.requests++;
    let reply: Uint8Array;
    try {
      reply = service.export(store, call.request, limits, stats, forward);
    } catch (err) {
      const refused = refusalOf(err);
      if (refused === undefined) {
        log?.(`collector (gRPC): ${(err as Error).stack ?? err}`);
        callback({ code: grpc.status.INTERNAL, details: 'internal error' });
      } else {
        log?.(`collector (gRPC): rejected a ${service.what} export: ${refused}`);
        callback({ code: grpc.status.INVALID_ARGUMENT, details: refused });
      }
      return;
    }
    callback(null, reply);
  };
}

function bind(server: grpc.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

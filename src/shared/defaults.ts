/**
 * Setting defaults, one place: package.json's `contributes.configuration` declares the same
 * values (a unit test compares them), and the core uses them where no setting is given.
 */

/** `runlens.collector.port`: the OTLP/HTTP port tried first (a taken one falls back to ephemeral). */
export const DEFAULT_COLLECTOR_PORT = 4318;
/** `runlens.collector.grpcPort`: the OTLP/gRPC port (OTLP's default), tried first unless another is given. */
export const DEFAULT_GRPC_PORT = 4317;
/** `runlens.retention.maxRuns`. */
export const DEFAULT_MAX_RUNS = 200;
/** `runlens.retention.maxSizeMB`. */
export const DEFAULT_MAX_SIZE_MB = 200;
/** `runlens.attributes.maxLength`: string attribute values longer than this are truncated at ingest. */
export const DEFAULT_ATTR_MAX_LENGTH = 4096;

/** Keyed by the setting without `runlens.`. */
export const SETTING_DEFAULTS = {
  'collector.port': DEFAULT_COLLECTOR_PORT,
  'collector.grpcPort': DEFAULT_GRPC_PORT,
  'retention.maxRuns': DEFAULT_MAX_RUNS,
  'retention.maxSizeMB': DEFAULT_MAX_SIZE_MB,
  'attributes.maxLength': DEFAULT_ATTR_MAX_LENGTH,
} as const;

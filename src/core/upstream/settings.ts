/**
 * How forwarded exports are sent, from the environment as OpenTelemetry exporters read it:
 *
 *   OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS   `k=v,k2=v2` (values
 *       URL-decoded; the traces one wins per key): added to every request (auth)
 *   OTEL_EXPORTER_OTLP_COMPRESSION, ..._TRACES_COMPRESSION          `gzip` or `none` (default)
 *   OTEL_EXPORTER_OTLP_TIMEOUT, ..._TRACES_TIMEOUT                  milliseconds per request (default 10 s)
 *
 * Header values are secrets: no message here or anywhere in the forwarder holds one (a bad
 * entry is named by its key, or by its position when the key itself is bad).
 */

/** The on-disk queue's bound by default, MB (`--forward-queue-mb`). */
export const DEFAULT_QUEUE_MB = 256;

export interface ExportSettings {
  headers: Record<string, string>;
  gzip: boolean;
  timeoutMs: number;
  /** What was ignored in the environment, and why (never a header value). */
  warnings: string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_HEADERS = 64;
const MAX_HEADER_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the forwarder sets itself. */
const OWN = new Set(['content-type', 'content-encoding', 'content-length', 'host', 'connection', 'transfer-encoding', 'te', 'upgrade']);

type Env = Record<string, string | undefined>;

export function exportSettingsFromEnv(env: Env = process.env): ExportSettings {
  const warnings: string[] = [];
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const text = env[name];
    if (text) Object.assign(headers, parseHeaders(text, name, warnings));
  }
  if (Object.keys(headers).length > MAX_HEADERS) {
    warnings.push(`more than ${MAX_HEADERS} headers in OTEL_EXPORTER_OTLP_*HEADERS; the rest are ignored`);
    for (const k of Object.keys(headers).slice(MAX_HEADERS)) delete headers[k];
  }
  const compression = (env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION || env.OTEL_EXPORTER_OTLP_COMPRESSION || 'none').trim().toLowerCase();
  if (compression !== 'gzip' && compression !== 'none')
    warnings.push(`OTEL_EXPORTER_OTLP_COMPRESSION ${JSON.stringify(compression.slice(0, 20))} is not gzip or none; sending uncompressed`);
  const timeoutText = (env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT || '').trim();
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (timeoutText) {
    const n = /^\d{1,7}$/.test(timeoutText) ? Number(timeoutText) : NaN;
    if (n >= 1 && n <= 600_000) timeoutMs = n;
    else warnings.push(`OTEL_EXPORTER_OTLP_TIMEOUT must be 1-600000 milliseconds; using ${DEFAULT_TIMEOUT_MS}`);
  }
  return { headers, gzip: compression === 'gzip', timeoutMs, warnings };
}

/** `k=v,k2=v2` (W3C baggage-like, values URL-decoded) → headers; bad entries are skipped with a warning. */
function parseHeaders(text: string, variable: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (Buffer.byteLength(text) > MAX_HEADER_BYTES) {
    warnings.push(`${variable} is longer than ${MAX_HEADER_BYTES} bytes; ignored`);
    return out;
  }
  const entries = text.split(',');
  entries.forEach((entry, i) => {
    if (!entry.trim()) return;
    const eq = entry.indexOf('=');
    const where = `entry ${i + 1} of ${variable}`;
    if (eq < 0) return void warnings.push(`${where} has no '='; ignored`);
    const key = decoded(entry.slice(0, eq).trim())?.toLowerCase();
    if (!key || !TOKEN.test(key)) return void warnings.push(`${where} has no valid header name; ignored`);
    const value = decoded(entry.slice(eq + 1).trim());
    if (value === undefined || !FIELD_VALUE.test(value))
      return void warnings.push(`header ${key} (${variable}) has a value that is not valid URL-encoded header text; ignored`);
    if (OWN.has(key)) return void warnings.push(`header ${key} (${variable}) is set by the forwarder itself; ignored`);
    out[key] = value;
  });
  return out;
}

function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Id helpers: every id in the store is lowercase hex, whatever the producer sent. */
import { createHash, randomBytes } from 'node:crypto';

const HEX = /^[0-9a-fA-F]+$/;

/**
 * Normalise a trace/span id from OTLP JSON: the spec says hex, but some exporters send
 * base64 (protobuf-JSON mapping). Lengths tell them apart: 16 bytes = 32 hex / 24 base64
 * chars, 8 bytes = 16 hex / 12 base64 chars. Returns undefined for anything else; an
 * all-zero id counts as absent.
 */
export function normaliseId(raw: unknown, bytes: 8 | 16): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  let hex: string | undefined;
  if (raw.length === bytes * 2 && HEX.test(raw)) hex = raw.toLowerCase();
  else {
    const buf = Buffer.from(raw, 'base64');
    if (buf.length === bytes && /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) hex = buf.toString('hex');
  }
  if (!hex || /^0+$/.test(hex)) return undefined;
  return hex;
}

export function bytesToHex(bytes: Uint8Array | undefined | null): string | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return /^0+$/.test(hex) ? undefined : hex;
}

export const newTraceId = (): string => randomBytes(16).toString('hex');
export const newSpanId = (): string => randomBytes(8).toString('hex');

/** A run id that sorts by creation time and is short enough to type: `r` + 8 base36 time + 6 hex. */
export function newRunId(now = Date.now()): string {
  return 'r' + now.toString(36).padStart(9, '0') + randomBytes(3).toString('hex');
}

/** A stable 16-hex span id for producers whose ids are not hex (names, counters). */
export function derivedSpanId(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

/** Accept a producer's span id: 16 hex chars as-is, anything else hashed within its scope. */
export function spanIdFrom(raw: string, scope: string): string {
  return raw.length === 16 && HEX.test(raw) ? raw.toLowerCase() : derivedSpanId(scope, raw);
}

/**
 * What the forwarder sends is OTLP/HTTP protobuf (an ExportTraceServiceRequest): an export
 * received as protobuf goes on as its bytes; one received as OTLP/JSON is converted with the
 * official schema (the generated module of @opentelemetry/otlp-transformer), field by field,
 * so resource, scope, attributes, events, links, status, trace state and flags arrive as sent.
 *
 * Exports coalesce by concatenation: protobuf merges two encodings of one message by appending
 * their repeated fields, so `a ++ b` is the request holding a's and b's resourceSpans.
 */
import { protoRoot } from '../ingest/otlpProtobuf';
import { OtlpFormatError } from '../ingest/otlpRaw';

/* eslint-disable @typescript-eslint/no-explicit-any */
const Request = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const HEX = /^[0-9a-f]*$/i;
const ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

/** An OTLP/JSON ExportTraceServiceRequest (its UTF-8 bytes) as protobuf bytes; OtlpFormatError when it cannot be. */
export function jsonTracesToProtobuf(body: Uint8Array): Uint8Array {
  let message: any;
  try {
    const json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    message = Request.fromObject(toProtobufObject(json, ''));
  } catch (err) {
    throw new OtlpFormatError(`an OTLP/JSON export could not be converted to protobuf: ${(err as Error).message.slice(0, 200)}`);
  }
  return Request.encode(message).finish();
}

/**
 * OTLP/JSON → the object protobufjs's fromObject takes: ids from hex (the OTLP/JSON rule, or
 * base64 as some exporters send them) to bytes, and the field names of OTLP before 0.19
 * (instrumentationLibrarySpans, instrumentationLibrary) to today's. Everything else (camelCase
 * names, enums as names or numbers, 64-bit integers as strings) fromObject reads as is.
 */
function toProtobufObject(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((v) => toProtobufObject(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const name = k === 'instrumentationLibrarySpans' ? 'scopeSpans' : k === 'instrumentationLibrary' ? 'scope' : k;
      // Both spellings in one object: today's wins.
      if (name !== k && name in value) continue;
      out[name] = toProtobufObject(v, name);
    }
    return out;
  }
  const size = ID_BYTES[key];
  if (size !== undefined && typeof value === 'string') return idBytes(value, size);
  return value;
}

/** A JSON id as bytes: hex of the right length, else base64 of the right length, else empty (invalid, as received). */
function idBytes(text: string, size: number): Buffer {
  if (text.length === size * 2 && HEX.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === size) return b;
  }
  return Buffer.alloc(0);
}

/** What an upstream's 200 says it did not keep (partial_success), from a protobuf or JSON ExportTraceServiceResponse. */
export function partialSuccess(body: Buffer, contentType: string): { rejected: number; message?: string } {
  try {
    let p: any;
    if (contentType.includes('json')) p = (JSON.parse(body.toString('utf8')) as any)?.partialSuccess;
    else p = Response.toObject(Response.decode(body), { longs: String }).partialSuccess;
    const rejected = Number(p?.rejectedSpans ?? 0);
    const message = typeof p?.errorMessage === 'string' && p.errorMessage ? p.errorMessage : undefined;
    return { rejected: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, message };
  } catch {
    // A 200 is an acknowledgement, whatever its body.
    return { rejected: 0 };
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * OTLP logs (ExportLogsServiceRequest) → LogRecord (signals.ts), from OTLP/JSON and from
 * protobuf, with the trace decoders' value rules (otlpJson.ts, otlpProtobuf.ts). A record with
 * a malformed trace or span id is refused alone (partial success); a malformed request is a
 * format error naming the field.
 */
import type { AttrValue, Attributes } from '../model';
import { nowNs } from '../model';
import { bytesToHex, normaliseId } from '../ids';
import type { LogRecord, SignalResult } from '../signals';
import { bad, elem, jsonAnyValue, jsonAttrList, jsonNs, optArr, optObj, optStr, optStrNum, type Obj } from './otlpJson';
import { pbAnyValue, pbAttributes, pbTime, protoRoot } from './otlpProtobuf';
import { OtlpFormatError, readingRequest, signalRunId } from './otlpRaw';

const REQUEST = 'ExportLogsServiceRequest';
const SEVERITY_NAMES: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** One record as read off the wire, before its run is known. */
interface RawLog {
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText?: string;
  body: AttrValue;
  attributes: Attributes;
  /** Hex, or `!<as sent>` when malformed. */
  traceId?: string;
  spanId?: string;
}
interface RawResourceLogs {
  resource: Attributes;
  scopes: { scope?: { name: string; version?: string }; logs: RawLog[] }[];
}

/** `SEVERITY_NUMBER_WARN2` → 14; a number as is; anything else 0 (unspecified). */
function severity(v: string | number | undefined): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 24 ? v : 0;
  const m = /^SEVERITY_NUMBER_([A-Z]+)([2-4])?$/.exec(v ?? '');
  const base = m ? SEVERITY_NAMES[m[1]!] : undefined;
  return base === undefined ? 0 : base + (m![2] ? Number(m![2]) - 1 : 0);
}

/** A body as text: a string as is, a structured value as JSON. */
function bodyText(v: AttrValue): string {
  return v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

function convert(resourceLogs: RawResourceLogs[]): SignalResult {
  const logs: LogRecord[] = [];
  let rejected = 0;
  const now = nowNs();
  for (const rl of resourceLogs) {
    for (const sl of rl.scopes) {
      for (const raw of sl.logs) {
        if (raw.traceId?.startsWith('!') || raw.spanId?.startsWith('!')) {
          rejected++;
          continue;
        }
        logs.push({
          runId: signalRunId(rl.resource, raw.traceId),
          timeNs: raw.timeNs || raw.observedNs || now,
          severityNumber: raw.severityNumber,
          severityText: raw.severityText || undefined,
          body: bodyText(raw.body),
          attributes: raw.attributes,
          traceId: raw.traceId,
          spanId: raw.spanId,
          resource: rl.resource,
          scope: sl.scope,
        });
      }
    }
  }
  return { runs: [], spans: [], logs, rejected, rejectMessage: rejected ? 'invalid traceId/spanId' : undefined };
}

function readJsonLog(o: Obj, p: string): RawLog {
  const traceId = optStr(o, 'traceId', p);
  const spanId = optStr(o, 'spanId', p);
  const body = optObj(o, 'body', p);
  return {
    timeNs: jsonNs(optStrNum(o, 'timeUnixNano', p), `${p}timeUnixNano`),
    observedNs: jsonNs(optStrNum(o, 'observedTimeUnixNano', p), `${p}observedTimeUnixNano`),
    severityNumber: severity(optStrNum(o, 'severityNumber', p)),
    severityText: optStr(o, 'severityText', p),
    body: body ? jsonAnyValue(body) : null,
    attributes: jsonAttrList(o, 'attributes', p),
    traceId: jsonId(traceId, 16),
    spanId: jsonId(spanId, 8),
  };
}

/** The trace decoders' id rules (hex or base64); '' or zeros: absent; anything else `!…` (refused). */
function jsonId(raw: string | undefined, bytes: 8 | 16): string | undefined {
  return normaliseId(raw, bytes) ?? (raw && !/^[0A]+=*$/.test(raw) ? `!${raw.slice(0, 64)}` : undefined);
}

function readLogsJson(body: unknown): RawResourceLogs[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('', 'object', body);
  const list = optArr(body as Obj, 'resourceLogs', '') ?? [];
  return list.map((_, i) => {
    const rl = elem(list, i, 'resourceLogs');
    const p = `resourceLogs.${i}.`;
    const resource = optObj(rl, 'resource', p);
    const scopeList = optArr(rl, 'scopeLogs', p) ?? [];
    return {
      resource: resource ? jsonAttrList(resource, 'attributes', `${p}resource.`) : {},
      scopes: scopeList.map((__, j) => {
        const sp = `${p}scopeLogs.${j}.`;
        const sl = elem(scopeList, j, `${p}scopeLogs`);
        const scope = optObj(sl, 'scope', sp);
        const name = scope ? optStr(scope, 'name', `${sp}scope.`) : undefined;
        const version = scope ? optStr(scope, 'version', `${sp}scope.`) : undefined;
        const records = optArr(sl, 'logRecords', sp) ?? [];
        return {
          scope: name !== undefined ? { name, version: version || undefined } : undefined,
          logs: records.map((___, k) => readJsonLog(elem(records, k, `${sp}logRecords`), `${sp}logRecords.${k}.`)),
        };
      }),
    };
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function readLogsProtobuf(body: Uint8Array): RawResourceLogs[] {
  const Request = protoRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
  let msg: any;
  try {
    msg = Request.decode(body);
  } catch (err) {
    throw new OtlpFormatError(`not a protobuf ${REQUEST}: ${(err as Error).message}`);
  }
  return (msg.resourceLogs ?? []).map((rl: any) => ({
    resource: pbAttributes(rl.resource?.attributes),
    scopes: (rl.scopeLogs ?? []).map((sl: any) => ({
      scope: sl.scope ? { name: sl.scope.name ?? '', version: sl.scope.version || undefined } : undefined,
      logs: (sl.logRecords ?? []).map((l: any): RawLog => ({
        timeNs: pbTime(l.timeUnixNano, 'timeUnixNano'),
        observedNs: pbTime(l.observedTimeUnixNano, 'observedTimeUnixNano'),
        severityNumber: severity(l.severityNumber ?? 0),
        severityText: l.severityText,
        body: pbAnyValue(l.body),
        attributes: pbAttributes(l.attributes),
        traceId: pbId(l.traceId, 16),
        spanId: pbId(l.spanId, 8),
      })),
    })),
  }));
}

/** A protobuf id: absent when empty or zero, `!…` (refused) when not of its length. */
function pbId(bytes: Uint8Array | undefined, length: number): string | undefined {
  const hex = bytesToHex(bytes);
  return hex === undefined || hex.length === length * 2 ? hex : `!${hex}`;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** An OTLP/JSON ExportLogsServiceRequest (parsed) → records for TraceStore.apply. */
export function logsFromJson(body: unknown): SignalResult {
  return convert(readingRequest(REQUEST, () => readLogsJson(body)));
}

/** A protobuf ExportLogsServiceRequest → records for TraceStore.apply (the gRPC receiver's entry too). */
export function logsFromProtobuf(body: Uint8Array): SignalResult {
  return convert(readingRequest(REQUEST, () => readLogsProtobuf(body)));
}

/** Protobuf ExportLogsServiceResponse: partial success when records were refused. */
export function encodeLogsResponse(rejected: number, message?: string): Uint8Array {
  const Response = protoRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
  const payload = rejected ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: message ?? '' } } : {};
  return Response.encode(Response.create(payload)).finish();
}

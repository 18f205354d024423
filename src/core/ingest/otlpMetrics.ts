/**
 * OTLP metrics (ExportMetricsServiceRequest) → MetricPoint (signals.ts), from OTLP/JSON and
 * from protobuf, with the trace decoders' value rules (otlpJson.ts, otlpProtobuf.ts). Gauges
 * and sums (int and double points) are kept; histograms, exponential histograms and summaries
 * are accepted and not stored, which the reply says (partial success), as it does for points
 * that are not finite numbers.
 */
import type { Attributes } from '../model';
import type { MetricPoint, SignalResult } from '../signals';
import { bad, elem, jsonAttrList, jsonNs, optArr, optObj, optStr, optStrNum, type Obj } from './otlpJson';
import { pbAttributes, pbInt, pbTime, protoRoot, type PbNumber } from './otlpProtobuf';
import { OtlpFormatError, readingRequest, signalRunId } from './otlpRaw';

const REQUEST = 'ExportMetricsServiceRequest';
const NOT_STORED = ['histogram', 'exponentialHistogram', 'summary'] as const;

interface RawMetric {
  name: string;
  unit?: string;
  description?: string;
  kind: MetricPoint['kind'] | 'other';
  monotonic?: boolean;
  points: { timeNs: bigint; value: number; attributes: Attributes }[];
  /** Points of a kind not stored (histograms…). */
  otherPoints: number;
}
interface RawResourceMetrics {
  resource: Attributes;
  metrics: RawMetric[];
}

function convert(resourceMetrics: RawResourceMetrics[]): SignalResult {
  const metrics: MetricPoint[] = [];
  let other = 0;
  let notFinite = 0;
  for (const rm of resourceMetrics) {
    const runId = signalRunId(rm.resource, undefined);
    for (const m of rm.metrics) {
      other += m.otherPoints;
      if (m.kind === 'other') continue;
      for (const p of m.points) {
        if (!Number.isFinite(p.value)) {
          notFinite++;
          continue;
        }
        metrics.push({
          runId,
          name: m.name,
          unit: m.unit || undefined,
          description: m.description || undefined,
          kind: m.kind,
          monotonic: m.kind === 'sum' ? m.monotonic === true : undefined,
          timeNs: p.timeNs,
          value: p.value,
          attributes: p.attributes,
          resource: rm.resource,
        });
      }
    }
  }
  const reasons = [
    other ? `${other} histogram or summary data point(s) not stored (Runlens keeps gauges and sums)` : '',
    notFinite ? `${notFinite} data point(s) without a finite value` : '',
  ].filter(Boolean);
  return { runs: [], spans: [], metrics, rejected: other + notFinite, rejectMessage: reasons.join('; ') || undefined };
}

/** A JSON number data point's value: asDouble (a number, or "NaN"/"Infinity"), asInt (decimal text). */
function jsonValue(o: Obj, p: string): number {
  const v = optStrNum(o, 'asDouble', p) ?? optStrNum(o, 'asInt', p);
  return v === undefined ? NaN : Number(v);
}

function readJsonMetric(o: Obj, p: string): RawMetric {
  const base = { name: optStr(o, 'name', p) ?? '', unit: optStr(o, 'unit', p), description: optStr(o, 'description', p) };
  for (const kind of NOT_STORED) {
    const data = optObj(o, kind, p);
    if (data) return { ...base, kind: 'other', points: [], otherPoints: optArr(data, 'dataPoints', `${p}${kind}.`)?.length ?? 0 };
  }
  const gauge = optObj(o, 'gauge', p);
  const sum = optObj(o, 'sum', p);
  const data = gauge ?? sum;
  if (!data) return { ...base, kind: 'other', points: [], otherPoints: 0 };
  const dp = `${p}${gauge ? 'gauge' : 'sum'}.`;
  const list = optArr(data, 'dataPoints', dp) ?? [];
  const monotonic = sum ? sum.isMonotonic : undefined;
  if (monotonic !== undefined && typeof monotonic !== 'boolean') bad(`${dp}isMonotonic`, 'boolean', monotonic);
  return {
    ...base,
    kind: gauge ? 'gauge' : 'sum',
    monotonic,
    otherPoints: 0,
    points: list.map((_, i) => {
      const pp = `${dp}dataPoints.${i}.`;
      const point = elem(list, i, `${dp}dataPoints`);
      return {
        timeNs: jsonNs(optStrNum(point, 'timeUnixNano', pp), `${pp}timeUnixNano`),
        value: jsonValue(point, pp),
        attributes: jsonAttrList(point, 'attributes', pp),
      };
    }),
  };
}

function readMetricsJson(body: unknown): RawResourceMetrics[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('', 'object', body);
  const list = optArr(body as Obj, 'resourceMetrics', '') ?? [];
  return list.map((_, i) => {
    const rm = elem(list, i, 'resourceMetrics');
    const p = `resourceMetrics.${i}.`;
    const resource = optObj(rm, 'resource', p);
    const scopes = optArr(rm, 'scopeMetrics', p) ?? [];
    const metrics: RawMetric[] = [];
    for (let j = 0; j < scopes.length; j++) {
      const sp = `${p}scopeMetrics.${j}.`;
      const ms = optArr(elem(scopes, j, `${p}scopeMetrics`), 'metrics', sp) ?? [];
      for (let k = 0; k < ms.length; k++) metrics.push(readJsonMetric(elem(ms, k, `${sp}metrics`), `${sp}metrics.${k}.`));
    }
    return { resource: resource ? jsonAttrList(resource, 'attributes', `${p}resource.`) : {}, metrics };
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function pbMetric(m: any): RawMetric {
  const base = { name: m.name ?? '', unit: m.unit || undefined, description: m.description || undefined };
  const kind: string | undefined = m.data;
  if (kind !== 'gauge' && kind !== 'sum')
    return { ...base, kind: 'other', points: [], otherPoints: kind ? (m[kind]?.dataPoints?.length ?? 0) : 0 };
  return {
    ...base,
    kind,
    monotonic: kind === 'sum' ? m.sum.isMonotonic === true : undefined,
    otherPoints: 0,
    points: (m[kind].dataPoints ?? []).map((p: any) => ({
      timeNs: pbTime(p.timeUnixNano, 'timeUnixNano'),
      value: p.value === 'asInt' ? Number(pbInt(p.asInt as PbNumber)) : p.value === 'asDouble' ? p.asDouble : NaN,
      attributes: pbAttributes(p.attributes),
    })),
  };
}

function readMetricsProtobuf(body: Uint8Array): RawResourceMetrics[] {
  const Request = protoRoot.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
  let msg: any;
  try {
    msg = Request.decode(body);
  } catch (err) {
    throw new OtlpFormatError(`not a protobuf ${REQUEST}: ${(err as Error).message}`);
  }
  return (msg.resourceMetrics ?? []).map((rm: any) => ({
    resource: pbAttributes(rm.resource?.attributes),
    metrics: (rm.scopeMetrics ?? []).flatMap((sm: any) => (sm.metrics ?? []).map(pbMetric)),
  }));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** An OTLP/JSON ExportMetricsServiceRequest (parsed) → points for TraceStore.apply. */
export function metricsFromJson(body: unknown): SignalResult {
  return convert(readingRequest(REQUEST, () => readMetricsJson(body)));
}

/** A protobuf ExportMetricsServiceRequest → points for TraceStore.apply (the gRPC receiver's entry too). */
export function metricsFromProtobuf(body: Uint8Array): SignalResult {
  return convert(readingRequest(REQUEST, () => readMetricsProtobuf(body)));
}

/** Protobuf ExportMetricsServiceResponse: partial success when points were not stored. */
export function encodeMetricsResponse(rejected: number, message?: string): Uint8Array {
  const Response = protoRoot.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
  const payload = rejected ? { partialSuccess: { rejectedDataPoints: rejected, errorMessage: message ?? '' } } : {};
  return Response.encode(Response.create(payload)).finish();
}

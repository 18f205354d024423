/**
 * zod schemas of the timeline protocol, host side only: the webview → host messages the
 * session validates, the state the panel serializer restores, and the reference schema of
 * span columns that the webview's hand-written check (src/shared/protocol.ts) is fuzzed
 * against. Kept out of protocol.ts so that zod stays out of the webview bundle.
 */
import { z } from 'zod';
import { SPAN_STATUSES } from '../../shared/status';
import { isRecord } from '../../shared/check';
import { isAttrJson, type AttrJson } from '../../shared/timelineViews';
import { MAX_METRIC_SERIES, MAX_SEVERITY, type SignalsView, type SpanLogsView } from '../../shared/signalViews';
import {
  type ParseResult,
  type SpanColumns,
  type TimelineState as TimelineStateT,
  type WebviewMessage as WebviewMessageT,
} from '../../shared/protocol';

const MAX_TEXT = 10_000_000;
const id = z.string().min(1).max(512);
const severity = z.number().int().min(0).max(MAX_SEVERITY);
const WebviewMessage: z.ZodType<WebviewMessageT> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('selectSpan'), spanId: id.nullable() }),
  z.object({
    type: z.literal('openSource'),
    file: z.string().min(1).max(4096),
    line: z.number().int().nonnegative(),
    column: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('goToSource'), spanId: id, runId: id.optional() }),
  z.object({ type: z.literal('getSpanDetail'), spanId: id, runId: id.optional(), minSeverity: severity.optional() }),
  z.object({ type: z.literal('pickCompareRun'), runId: id.optional() }),
  z.object({ type: z.literal('clearCompare') }),
  z.object({ type: z.literal('copy'), text: z.string().max(MAX_TEXT) }),
  z.object({ type: z.literal('reportError'), message: z.string().max(20_000) }),
]);

export const TimelineState: z.ZodType<TimelineStateT> = z.object({
  runId: id,
  selectedSpanId: z.string().max(512).nullable().optional(),
  compareRunId: z.string().max(512).nullable().optional(),
});

/** The reference schema for SpanColumns (what spanColumnsError is fuzzed against). */
export const SpanColumnsSchema: z.ZodType<SpanColumns> = z
  .object({
    strings: z.array(z.string()),
    id: z.instanceof(Int32Array),
    parent: z.instanceof(Int32Array),
    name: z.instanceof(Int32Array),
    kind: z.instanceof(Int32Array),
    start: z.instanceof(Float64Array),
    dur: z.instanceof(Float64Array),
    status: z.instanceof(Uint8Array),
    label: z.instanceof(Int32Array),
    error: z.instanceof(Int32Array),
    service: z.instanceof(Int32Array),
  })
  .superRefine((c, ctx) => {
    const n = c.id.length;
    const m = c.strings.length;
    for (const k of ['parent', 'name', 'kind', 'start', 'dur', 'status', 'label', 'error', 'service'] as const) {
      if (c[k].length !== n) ctx.addIssue({ code: 'custom', message: `${k} must have one entry per id`, path: [k] });
    }
    const inTable = (x: number | undefined, none: boolean) => x !== undefined && (x >= 0 ? x < m : none && x === -1);
    for (let i = 0; i < n; i++) {
      if (!inTable(c.id[i], false) || c.strings[c.id[i]!] === '')
        ctx.addIssue({ code: 'custom', message: 'id out of range', path: ['id', i] });
      if (!inTable(c.name[i], false)) ctx.addIssue({ code: 'custom', message: 'name out of range', path: ['name', i] });
      for (const k of ['parent', 'label', 'error', 'service'] as const) {
        if (!inTable(c[k][i], true)) ctx.addIssue({ code: 'custom', message: `${k} out of range`, path: [k, i] });
      }
      const s = c.start[i];
      if (s === undefined || !Number.isFinite(s)) ctx.addIssue({ code: 'custom', message: 'start must be finite', path: ['start', i] });
      const d = c.dur[i];
      if (d === undefined || !Number.isFinite(d) || (d < 0 && d !== -1))
        ctx.addIssue({ code: 'custom', message: 'duration must be >= 0 or -1', path: ['dur', i] });
      const st = c.status[i];
      if (st === undefined || st >= SPAN_STATUSES.length)
        ctx.addIssue({ code: 'custom', message: 'status out of range', path: ['status', i] });
    }
  });

const finite = z.number().finite();
/** Plain objects only (as the webview's isRecord): no class instances or borrowed prototypes. */
const attributes = z.custom<Record<string, AttrJson>>((v) => isRecord(v) && isAttrJson(v), 'attributes must be plain JSON');

/** The reference schema of a span's logs in its detail (what spanLogsCheck is fuzzed against). */
export const SpanLogsSchema: z.ZodType<SpanLogsView> = z.object({
  minSeverity: severity,
  records: z.array(
    z.object({ offsetMs: finite, severity, severityText: z.string().nullable(), body: z.string(), attributes }),
  ) as z.ZodType<SpanLogsView['records']>,
  more: z.boolean(),
});

/** The reference schema of a run's log marks and metric series (what signalsCheck is fuzzed against). */
export const SignalsSchema: z.ZodType<SignalsView> = z.object({
  logCount: z.number().int().nonnegative(),
  errorLogs: z.number().int().nonnegative(),
  marks: z
    .custom<Record<string, unknown>>(isRecord, 'marks must be a plain object')
    .pipe(z.record(z.string(), z.object({ count: z.number().int().nonnegative(), maxSeverity: severity }))),
  metrics: z
    .array(
      z
        .object({
          name: z.string().min(1),
          unit: z.string().nullable(),
          kind: z.enum(['gauge', 'sum']),
          label: z.string(),
          t: z.array(finite),
          v: z.array(finite),
        })
        .refine((s) => s.t.length === s.v.length, 't and v must have one entry per point'),
    )
    .max(MAX_METRIC_SERIES),
  moreMetrics: z.array(z.string()),
});

function parseWith<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `${issue?.message ?? 'invalid message'}${where}` };
}

/** Validate a message the host received from the webview. */
export const parseWebviewMessage = (data: unknown): ParseResult<WebviewMessageT> => parseWith(WebviewMessage, data);

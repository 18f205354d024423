/**
 * Execution-trace documents, as agent orchestrators write them: one document is one run,
 * each step one span. The step's own status word is kept as `statusLabel` (BLOCKED stays
 * BLOCKED; it counts as an error for the run's status).
 */
import { z } from 'zod';
import type { Attributes, IngestBatch, RunStatus, Span, SpanStatus } from '../model';
import { derivedSpanId, normaliseId } from '../ids';
import { createHash } from 'node:crypto';
import { parseTime } from './values';

const Step = z.object({
  step_number: z.union([z.number(), z.string()]).optional(),
  agent_name: z.string().optional(),
  agent_task: z.string().optional(),
  status: z.string(),
  started_at: z.union([z.string(), z.number()]).optional(),
  completed_at: z.union([z.string(), z.number()]).nullable().optional(),
  success: z.boolean().nullable().optional(),
  error_message: z.string().nullable().optional(),
  output_summary: z.string().nullable().optional(),
});
const ExecutionTraceDoc = z.object({
  trace_id: z.string(),
  trigger: z
    .object({
      source: z.string().optional(),
      issue_key: z.string().nullable().optional(),
      intent_type: z.string().nullable().optional(),
      timestamp: z.union([z.string(), z.number()]).nullable().optional(),
    })
    .passthrough()
    .optional(),
  intent_type: z.string().nullable().optional(),
  pipeline_status: z.enum(['RUNNING', 'SUCCESS', 'PARTIAL', 'FAILED']),
  started_at: z.union([z.string(), z.number()]),
  completed_at: z.union([z.string(), z.number()]).nullable().optional(),
  steps: z.array(Step),
  final_error: z.string().nullable().optional(),
});
type ExecutionTraceDoc = z.infer<typeof ExecutionTraceDoc>;

export function isExecutionTrace(o: Record<string, unknown>): boolean {
  return typeof o.trace_id === 'string' && Array.isArray(o.steps) && typeof o.pipeline_status === 'string';
}

const STEP_STATUS: Record<string, SpanStatus> = { STARTED: 'RUNNING', SUCCESS: 'OK', FAIL: 'ERROR', FAILED: 'ERROR', BLOCKED: 'ERROR' };

/** Trace id for a document: its own when it is a hex/UUID id, else a hash of it. */
function traceIdOf(docTraceId: string): string {
  const compact = docTraceId.replace(/-/g, '').toLowerCase();
  return normaliseId(compact, 16) ?? createHash('sha1').update(docTraceId).digest('hex').slice(0, 32);
}

/**
 * Document → one run patch + one span per step. `runId`/`traceId` place it in an existing
 * (launched) run; without them the document becomes a run of its own.
 */
export function ingestExecutionTrace(raw: unknown, into?: { runId: string; traceId: string; parentSpanId?: string }): IngestBatch {
  const parsed = ExecutionTraceDoc.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`not an execution-trace document: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const doc = parsed.data;
  const traceId = into?.traceId ?? traceIdOf(doc.trace_id);
  const runId = into?.runId ?? `x${traceId.slice(0, 16)}`;
  const start = parseTime(doc.started_at);
  if (start === undefined) throw new Error(`execution-trace started_at is not a time: ${doc.started_at}`);
  const end = doc.completed_at !== null && doc.completed_at !== undefined ? parseTime(doc.completed_at) : undefined;

  const runAttrs: Attributes = { 'execution.trace_id': doc.trace_id, pipeline_status: doc.pipeline_status };
  if (doc.intent_type) runAttrs.intent_type = doc.intent_type;
  if (doc.final_error) runAttrs.final_error = doc.final_error;
  for (const [k, v] of Object.entries(doc.trigger ?? {})) {
    if (v !== null && v !== undefined) runAttrs[`trigger.${k}`] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number);
  }

  const finished = doc.pipeline_status !== 'RUNNING';
  const spans: Span[] = doc.steps.map((step, i) => {
    const label = step.status.toUpperCase();
    let status: SpanStatus = STEP_STATUS[label] ?? (step.success === false ? 'ERROR' : 'OK');
    if (status === 'RUNNING' && finished) status = 'INCOMPLETE';
    const stepStart = parseTime(step.started_at) ?? start;
    const stepEnd = step.completed_at !== null && step.completed_at !== undefined ? parseTime(step.completed_at) : undefined;
    const attributes: Attributes = { 'step.number': typeof step.step_number === 'number' ? step.step_number : i + 1 };
    if (step.agent_name) attributes['agent.name'] = step.agent_name;
    if (step.agent_task) attributes['agent.task'] = step.agent_task;
    if (step.output_summary) attributes['output.summary'] = step.output_summary;
    if (step.success !== undefined && step.success !== null) attributes['step.success'] = step.success;
    const name = step.agent_name ? `${step.agent_name}${step.agent_task ? `: ${step.agent_task}` : ''}` : `step ${i + 1}`;
    return {
      runId,
      traceId,
      spanId: derivedSpanId(runId, doc.trace_id, String(step.step_number ?? i)),
      parentSpanId: into?.parentSpanId,
      name,
      kind: 1,
      startNs: stepStart,
      endNs: status === 'RUNNING' || status === 'INCOMPLETE' ? undefined : (stepEnd ?? stepStart),
      status,
      statusLabel: label === 'SUCCESS' || label === 'FAIL' || label === 'STARTED' ? undefined : label,
      statusMessage: step.error_message ?? undefined,
      attributes,
      events: [],
    };
  });

  const declared: RunStatus = doc.pipeline_status;
  return {
    runs: [
      into
        ? { id: runId, attributes: runAttrs }
        : {
            id: runId,
            name: doc.intent_type ?? doc.trigger?.intent_type ?? `execution ${doc.trace_id.slice(0, 8)}`,
            source: 'import',
            status: declared,
            startNs: start,
            endNs: end,
            traceId,
            attributes: runAttrs,
          },
    ],
    spans,
  };
}

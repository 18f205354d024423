/**
 * Structured step logs, one JSON line each:
 * {"event":"step_start"|"step_end"|"error", "step_name", "workflow_id", "timestamp"?, …}.
 * Each workflow is a group span over its steps; each start of a step is an attempt span (a
 * start after a failed attempt is a retry), and an error line belongs to the step it names.
 */
import type { Attributes, Span, SpanStatus } from '../model';
import { nowNs } from '../model';
import { derivedSpanId } from '../ids';
import { asAttributes, parseTime } from './values';
import { exceptionAttributes, type JsonLinesContext, type KnownSpans } from './jsonlSpans';

/** The step logs of one parser: open attempt per workflow/step, and per-workflow group spans. */
export class StepLogs {
  private readonly openSteps = new Map<string, Span>();
  private readonly attempts = new Map<string, number>();
  private readonly lastStepStatus = new Map<string, Map<string, SpanStatus>>();
  private readonly lastAttempt = new Map<string, Span>();
  private readonly occurrences = new Map<string, number>();
  private readonly erroredSteps = new Set<string>();
  private readonly groupErrors = new Set<string>();

  constructor(
    private readonly ctx: JsonLinesContext,
    private readonly known: KnownSpans,
  ) {}

  /** Read one step log line; false when it is not one (its event is none of the three). */
  read(o: Record<string, unknown>, touched: Map<string, Span>): boolean {
    const workflowId = typeof o.workflow_id === 'string' ? o.workflow_id : 'workflow';
    const time = parseTime(o.timestamp) ?? nowNs();
    const group = this.workflowSpan(workflowId, time);
    const stepName = typeof o.step_name === 'string' ? o.step_name : undefined;
    const key = `${workflowId}\u0000${stepName}`;
    // A duration that is not a finite, non-negative number of ms is taken as absent.
    const durationMs =
      typeof o.duration_ms === 'number' && Number.isFinite(o.duration_ms) && o.duration_ms >= 0 && o.duration_ms < 1e15
        ? o.duration_ms
        : undefined;
    const extra: Attributes = {};
    for (const [k, v] of Object.entries(o)) {
      if (!['timestamp', 'event', 'step_name', 'workflow_id', 'message', 'level', 'success', 'duration_ms'].includes(k)) {
        Object.defineProperty(extra, k, { value: asAttributes({ v }).v, enumerable: true, writable: true, configurable: true });
      }
    }
    if (o.event === 'step_start' && stepName) {
      // A retry is a start after a failed attempt of the same step; the producer's own
      // attempt number wins when it sends one.
      const previous = this.lastAttempt.get(key);
      const retried = previous !== undefined && previous.status === 'ERROR';
      const own = isCount(o.attempt) ? o.attempt : isCount(o.retry) ? o.retry + 1 : undefined;
      const attempt = own ?? (retried ? (this.attempts.get(key) ?? 1) + 1 : 1);
      this.attempts.set(key, attempt);
      const occurrence = (this.occurrences.get(key) ?? 0) + 1;
      this.occurrences.set(key, occurrence);
      const span: Span = {
        runId: this.ctx.runId,
        traceId: this.ctx.traceId,
        spanId: derivedSpanId(this.ctx.runId, workflowId, stepName, String(occurrence)),
        parentSpanId: group.spanId,
        name: stepName,
        kind: 1,
        startNs: time,
        status: 'RUNNING',
        attributes: { 'workflow.id': workflowId, 'step.attempt': attempt, ...extra },
        events: [],
      };
      if (typeof o.message === 'string') span.attributes['log.message'] = o.message;
      this.known.remember(span);
      this.openSteps.set(key, span);
      this.lastAttempt.set(key, span);
      touched.set(span.spanId, span);
    } else if (o.event === 'step_end' && stepName) {
      let span = this.openSteps.get(key);
      if (!span) {
        // An end without a start (log started mid-run): reconstruct the start from duration_ms.
        const duration = durationMs !== undefined ? BigInt(Math.round(durationMs * 1e6)) : 0n;
        span = {
          runId: this.ctx.runId,
          traceId: this.ctx.traceId,
          spanId: derivedSpanId(this.ctx.runId, workflowId, stepName, 'end', String(time)),
          parentSpanId: group.spanId,
          name: stepName,
          kind: 1,
          startNs: time - duration,
          status: 'RUNNING',
          attributes: { 'workflow.id': workflowId },
          events: [],
        };
        this.known.remember(span);
      }
      this.openSteps.delete(key);
      span.endNs = durationMs !== undefined ? span.startNs + BigInt(Math.round(durationMs * 1e6)) : time;
      if (span.endNs < span.startNs) span.endNs = time;
      const failed = o.success === false || this.erroredSteps.delete(span.spanId);
      span.status = failed ? 'ERROR' : 'OK';
      if (failed && !span.statusMessage && typeof o.message === 'string') span.statusMessage = o.message;
      if (durationMs !== undefined) span.attributes['duration_ms'] = durationMs;
      Object.assign(span.attributes, extra);
      this.stepStatus(workflowId).set(stepName, span.status);
      touched.set(span.spanId, span);
    } else if (o.event === 'error') {
      // An error line belongs to the step it names: the open attempt, else its last attempt,
      // else (no step) to the workflow itself.
      const open = stepName ? this.openSteps.get(key) : undefined;
      const target = open ?? (stepName ? this.lastAttempt.get(key) : undefined) ?? group;
      const message = typeof o.message === 'string' ? o.message : 'error';
      const type = typeof o.error_type === 'string' ? o.error_type : undefined;
      const stacktrace = typeof o.traceback === 'string' ? o.traceback : undefined;
      target.events.push({ name: 'exception', timeNs: time, attributes: exceptionAttributes({ type, message, stacktrace }) });
      target.statusMessage = message;
      if (open) this.erroredSteps.add(open.spanId);
      else if (target === group) this.groupErrors.add(workflowId);
      else {
        target.status = 'ERROR';
        this.stepStatus(workflowId).set(stepName!, 'ERROR');
      }
      touched.set(target.spanId, target);
    } else {
      return false;
    }
    // The group span spans its steps and fails when any step's last attempt failed.
    if (!group.endNs || group.endNs < time) group.endNs = time;
    const statuses = [...this.stepStatus(workflowId).values()];
    const anyOpen = [...this.openSteps.keys()].some((k) => k.startsWith(`${workflowId}\u0000`));
    group.status = anyOpen ? 'RUNNING' : statuses.includes('ERROR') || this.groupErrors.has(workflowId) ? 'ERROR' : 'OK';
    if (group.status === 'ERROR' && !this.groupErrors.has(workflowId)) {
      const failed = [...this.stepStatus(workflowId)].filter(([, st]) => st === 'ERROR').map(([name]) => name);
      const last = this.lastAttempt.get(`${workflowId}\u0000${failed[failed.length - 1]}`);
      group.statusMessage = last?.statusMessage ? `${last.name}: ${last.statusMessage}` : `${failed.join(', ')} failed`;
    }
    if (group.status === 'RUNNING') group.endNs = undefined;
    touched.set(group.spanId, group);
    return true;
  }

  private stepStatus(workflowId: string): Map<string, SpanStatus> {
    let m = this.lastStepStatus.get(workflowId);
    if (!m) this.lastStepStatus.set(workflowId, (m = new Map()));
    return m;
  }

  private workflowSpan(workflowId: string, time: bigint): Span {
    const spanId = derivedSpanId(this.ctx.runId, 'workflow', workflowId);
    let span = this.known.get(spanId);
    if (!span) {
      span = {
        runId: this.ctx.runId,
        traceId: this.ctx.traceId,
        spanId,
        parentSpanId: this.ctx.rootSpanId,
        name: workflowId,
        kind: 1,
        startNs: time,
        status: 'RUNNING',
        attributes: { 'workflow.id': workflowId },
        events: [],
      };
      this.known.remember(span);
    }
    return span;
  }
}

/** A whole number fit to count attempts. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

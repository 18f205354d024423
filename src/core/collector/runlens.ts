/**
 * Runlens's own endpoints (they need the store's secret, see guard.ts):
 *
 *   POST /runlens/v1/events   Runlens JSON-lines span events, application/x-ndjson
 *                             (headers x-runlens-run-id, x-runlens-token)
 *   POST /runlens/v1/batch    a Runlens batch (runs + spans), application/json, used by a CLI
 *                             forwarding into the process that holds the database (x-runlens-token)
 */
import { z } from 'zod';
import type { IngestBatch } from '../model';
import { NanoTime, Run, Span } from '../model';
import { JsonLinesParser } from '../ingest/jsonl';
import { ParsedOutputRecorder } from '../ingest/recorder';
import { newTraceId } from '../ids';
import { checkDepth, type Limits } from '../limits';
import { decode } from '../store/codec';
import { HttpError, type CollectorStats, type Route } from './route';

/** Runlens span events posted by the JSON-lines helpers when stdout is not captured (attach mode). */
export function eventsRoute(stats: CollectorStats): Route {
  /** The event parsers of runs that post events over HTTP. */
  const eventParsers = new Map<string, { parser: JsonLinesParser; recorder: ParsedOutputRecorder }>();
  return {
    types: ['application/x-ndjson'],
    handle({ store, req, body, res }) {
      const header = req.headers['x-runlens-run-id'];
      const runId = (Array.isArray(header) ? header[0] : header) || 'attached-events';
      if (!/^[\w.-]{1,64}$/.test(runId)) throw new HttpError(400, 'x-runlens-run-id must be 1-64 letters, digits, dot, dash or underscore');
      let entry = eventParsers.get(runId);
      if (!entry) {
        const existing = store.getRun(runId);
        const traceId = existing?.traceId ?? newTraceId();
        if (!existing) store.apply({ runs: [{ id: runId, name: runId, source: 'log', traceId, status: 'RUNNING' }], spans: [] });
        entry = {
          parser: new JsonLinesParser({ runId, traceId, rootSpanId: existing?.rootSpanId }),
          recorder: new ParsedOutputRecorder(store, runId),
        };
        // Bounded: the oldest posting run's parser goes first (its open spans stay as stored).
        if (eventParsers.size >= MAX_EVENT_RUNS) eventParsers.delete(eventParsers.keys().next().value!);
        eventParsers.set(runId, entry);
      }
      const text = body.toString('utf8');
      const result = entry.parser.push(text.endsWith('\n') ? text : text + '\n');
      // A line that cannot be read is a counted notice on the run, like a launched run's output.
      entry.recorder.take('stdout', result);
      stats.spans += result.spans.length;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ accepted: result.spans.length, ignoredLines: result.output.length, unreadableLines: result.diagnostics.length }),
        );
    },
  };
}

/** Runs and spans from a Runlens process that could not open the database itself. */
export function batchRoute(limits: Limits, stats: CollectorStats): Route {
  return {
    types: ['application/json'],
    handle({ store, body, res }) {
      let raw: unknown;
      try {
        raw = decode(body.toString('utf8'));
        checkDepth(raw, limits.depth + 8); // runs → spans → attributes → value
      } catch (err) {
        throw new HttpError(400, `body is not a Runlens batch: ${err instanceof RangeError ? 'nested too deep' : (err as Error).message}`);
      }
      // Validated before anything is written: a bad batch changes nothing.
      const parsed = BatchBody.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(400, `body is not a Runlens batch: ${issue?.path.join('.') || 'the body'}: ${issue?.message}`);
      }
      const batch = parsed.data;
      const runs = (batch.runs ?? []).map(({ spanCount: _c, errorCount: _e, ...patch }) => patch);
      const ingest: IngestBatch = { runs, spans: batch.spans ?? [] };
      if (ingest.spans.length > limits.spansPerRequest)
        throw new HttpError(413, `${ingest.spans.length} spans in one request; the limit is ${limits.spansPerRequest}`);
      store.apply(ingest);
      for (const o of batch.output ?? []) store.appendOutput(o.runId, o.stream, o.lines, o.start);
      if (batch.end) store.endRun(batch.end.runId, batch.end);
      stats.spans += ingest.spans.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    },
  };
}

/** Runs posting events at once whose parsers are kept. */
const MAX_EVENT_RUNS = 1000;

/** What `runlens run` forwards into the database owner (see forward.ts). */
const BatchBody = z.object({
  runs: z.array(Run.partial().extend({ id: z.string().min(1) })).optional(),
  spans: z.array(Span).optional(),
  end: z
    .object({ runId: z.string().min(1), exitCode: z.number().int().optional(), signal: z.string().optional(), endNs: NanoTime.optional() })
    .optional(),
  /** Output lines of the forwarded runs, at their line numbers (sending them again rewrites them). */
  output: z
    .array(
      z.object({
        runId: z.string().min(1),
        stream: z.enum(['stdout', 'stderr']),
        start: z.number().int().nonnegative().max(1_000_000),
        lines: z.array(z.string()).max(5_000),
      }),
    )
    .max(1_000)
    .optional(),
});

/**
 * What one writer of the team concurrency test sends (test/unit/team-concurrency.test.ts,
 * written by teamWriter.cjs in a process of its own), as pure functions of the writer's name, so
 * the test computes exactly what the database must hold in the end.
 *
 * Writer `a0` is writer 0 of machine `a`. Every writer writes three runs: its own (`run-a0`,
 * launched, ended at the end) and its machine's two shared runs (`shared-a-0`, `shared-a-1`,
 * attached OTLP runs), which the other writer of the same machine writes into at the same time.
 * Span i goes to own / shared-0 / shared-1 by i mod 3. Batch b holds spans b·B … (b+1)·B − 1:
 * the last TAIL of them first as RUNNING (no end), re-sent final by batch b + 1 (the last batch's
 * by a flush batch); every 4th batch also re-sends batch b − 2 whole. Output lines go to the own
 * run (stdout) and to shared-0 (stderr, each writer of the machine in its own range of line
 * numbers), with explicit line numbers, so a re-sent append changes nothing.
 */
import { createHash } from 'node:crypto';
import type { IngestBatch, RunPatch, Span } from '../../../src/core/model';

export interface WriterPlan {
  /** `a0`, `a1`, `b0`, `b1`. */
  name: string;
  spans: number;
  batch: number;
}

/** Spans of a batch sent RUNNING first (finished by the next batch). */
const TAIL = 50;
/** stdout lines per batch into the own run; stderr lines per batch into shared-0. */
export const OUT_LINES = 10;
export const ERR_LINES = 5;
/** stderr line numbers of writer 1 of a machine start here (writer 0's at 0). */
const ERR_RANGE = 2000;
const T0 = 1_760_000_000_000_000_000n;

export const machineOf = (name: string): string => name[0]!;
const writerIndex = (name: string): number => ['a0', 'a1', 'b0', 'b1'].indexOf(name);
export const ownRun = (name: string): string => `run-${name}`;
export const sharedRun = (machine: string, k: number): string => `shared-${machine}-${k}`;
export const hostOf = (machine: string): string => `machine-${machine}.example`;
export const runsOf = (name: string): string[] => [ownRun(name), sharedRun(machineOf(name), 0), sharedRun(machineOf(name), 1)];
export const batchCount = (p: WriterPlan): number => Math.ceil(p.spans / p.batch);

const traceOf = (runId: string): string => createHash('sha256').update(runId).digest('hex').slice(0, 32);
const runOfSpan = (name: string, i: number): string => runsOf(name)[i % 3]!;
const spanIdOf = (name: string, i: number): string =>
  (writerIndex(name) + 1).toString(16).padStart(2, '0') + i.toString(16).padStart(14, '0');
/** The final form's status: every 50th span failed. */
const failed = (i: number): boolean => i % 50 === 7;

/** Span i of writer `name` as finally sent, or (`early`) as first sent: RUNNING, no end. About 400 bytes of attributes. */
export function spanOf(name: string, i: number, early = false): Span {
  const start = T0 + BigInt(i) * 1_000_000n;
  const s: Span = {
    runId: runOfSpan(name, i),
    traceId: traceOf(runOfSpan(name, i)),
    spanId: spanIdOf(name, i),
    name: `step.${i % 17}`,
    kind: 1,
    startNs: start,
    status: early ? 'RUNNING' : failed(i) ? 'ERROR' : 'OK',
    attributes: {
      'code.filepath': '/workspace/agent/steps.py',
      'code.lineno': 100 + (i % 50),
      'code.function': `step_${i % 17}`,
      'llm.model': 'local-stub-7b',
      'llm.token_count.prompt': 512,
      'llm.token_count.completion': 128,
      'writer.name': name,
      'span.index': i,
      'input.value': `Summarise document ${i} of writer ${name} in three bullet points, citing the source.`,
      'output.value': `- point one about ${i}\n- point two about the document\n- point three, the conclusion`,
    },
    events: [],
    resource: { 'service.name': `svc-${name}-${i % 2}`, 'host.name': hostOf(machineOf(name)) },
    scope: { name: 'team-writer', version: '1.0.0' },
  };
  if (!early) s.endNs = start + 900_000n;
  if (!early && failed(i)) {
    s.statusMessage = `step ${i} failed`;
    s.events = [
      { name: 'exception', timeNs: start + 500_000n, attributes: { 'exception.type': 'ValueError', 'exception.message': `bad ${i}` } },
    ];
  }
  return s;
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
/** The indexes of batch b's own spans. */
export const batchSpans = (p: WriterPlan, b: number): number[] => range(b * p.batch, Math.min(p.spans, (b + 1) * p.batch));

function patches(name: string): RunPatch[] {
  const m = machineOf(name);
  const context = { origin: { user: `user-${m}`, host: hostOf(m) } };
  return [
    { id: ownRun(name), name: `own ${name}`, source: 'launch', startNs: T0, workflow: 'team-test', attributes: { writer: name }, context },
    ...[0, 1].map((k): RunPatch => ({ id: sharedRun(m, k), name: `shared ${m} ${k}`, source: 'otlp', workflow: 'team-test', context })),
  ];
}

/** Batch b as sent (b = batchCount is the flush batch: the last batch's tail, final). */
export function batchOf(p: WriterPlan, b: number): IngestBatch {
  const n = batchCount(p);
  const spans: Span[] = [];
  if (b > 0) for (const i of batchSpans(p, b - 1).slice(-TAIL)) spans.push(spanOf(p.name, i));
  if (b < n) {
    const own = batchSpans(p, b);
    own.forEach((i, k) => spans.push(spanOf(p.name, i, k >= own.length - TAIL)));
    if (b % 4 === 3 && b >= 2) for (const i of batchSpans(p, b - 2)) spans.push(spanOf(p.name, i));
  }
  return { runs: patches(p.name), spans };
}

/** The stdout lines of batch b into the own run (first line number, lines). */
export const outLines = (p: WriterPlan, b: number): { start: number; lines: string[] } => ({
  start: b * OUT_LINES,
  lines: range(0, OUT_LINES).map((j) => `${p.name} batch ${b} line ${j}`),
});
/** The stderr lines of batch b into shared-0. */
export const errLines = (p: WriterPlan, b: number): { start: number; lines: string[] } => ({
  start: (writerIndex(p.name) % 2) * ERR_RANGE + b * ERR_LINES,
  lines: range(0, ERR_LINES).map((j) => `${p.name} batch ${b} err ${j}`),
});

/** Every span the writer sends, in its final form. */
export const finalSpans = (p: WriterPlan): Span[] => range(0, p.spans).map((i) => spanOf(p.name, i));

/**
 * The OTLP requests the benchmarks send: a realistic agent-ish trace (nested spans, a dozen
 * attributes, an event on some), in batches of the OpenTelemetry SDK's default size, and the
 * ingest bench's workload of them encoded as JSON or protobuf bodies.
 */
import { encodeExportRequestProtobuf } from '../src/core/ingest/otlp';

/** Spans per request: the OpenTelemetry SDK BatchSpanProcessor's default maxExportBatchSize. */
export const BATCH = 512;
/** Requests in one measure, split evenly between the exporters (96 × 512 = 49,152 spans). */
export const REQUESTS = 96;

let idCounter = 0;
/** A realistic agent-ish OTLP request: nested spans, a dozen attributes, an event on some. */
export function otlpRequest(spans: number, traceSeed = idCounter++) {
  return otlpBatch(traceSeed, 0, spans);
}

/**
 * Spans `from` … `from + count - 1` of trace `traceSeed` as one OTLP request (a trace exported
 * in several batches has distinct span ids across them; each span's parent is span ⌊(i-1)/8⌋).
 */
export function otlpBatch(traceSeed: number, from: number, count: number, service = 'bench-agent') {
  const traceId = (traceSeed + 1).toString(16).padStart(32, '0');
  const base = 1_731_000_000_000_000_000n + BigInt(traceSeed) * 1_000_000_000n;
  const idOf = (i: number) => (BigInt(traceSeed) * 0x1000000n + BigInt(i) + 1n).toString(16).padStart(16, '0');
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'host.name', value: { stringValue: 'bench' } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'bench', version: '1.0.0' },
            spans: Array.from({ length: count }, (_, k) => {
              const i = from + k;
              const id = idOf(i);
              const parent = i === 0 ? undefined : idOf(Math.floor((i - 1) / 8));
              return {
                traceId,
                spanId: id,
                ...(parent ? { parentSpanId: parent } : {}),
                name: `step.${i % 17}`,
                kind: 1,
                startTimeUnixNano: String(base + BigInt(i) * 1000n),
                endTimeUnixNano: String(base + BigInt(i) * 1000n + 900n),
                attributes: [
                  { key: 'code.filepath', value: { stringValue: '/workspace/agent/steps.py' } },
                  { key: 'code.lineno', value: { intValue: String(100 + (i % 50)) } },
                  { key: 'code.function', value: { stringValue: `step_${i % 17}` } },
                  { key: 'llm.model', value: { stringValue: 'local-stub-7b' } },
                  { key: 'llm.token_count.prompt', value: { intValue: '512' } },
                  { key: 'llm.token_count.completion', value: { intValue: '128' } },
                  { key: 'temperature', value: { doubleValue: 0.2 } },
                  { key: 'batch.index', value: { intValue: String(i % 4) } },
                  { key: 'input.value', value: { stringValue: `Summarise document ${i} in three bullet points.` } },
                  { key: 'output.value', value: { stringValue: `- point one about ${i}\n- point two\n- point three` } },
                ],
                events:
                  i % 10 === 0
                    ? [
                        {
                          timeUnixNano: String(base + BigInt(i) * 1000n + 500n),
                          name: 'retry',
                          attributes: [{ key: 'attempt', value: { intValue: '1' } }],
                        },
                      ]
                    : [],
                status: { code: i % 97 === 0 ? 2 : 0 },
              };
            }),
          },
        ],
      },
    ],
  };
}

export type Format = 'json' | 'protobuf';

/** The requests of one measure: exporter e sends trace `seed + e`, in REQUESTS / exporters batches. */
export function workload(exporters: number, seed: number): unknown[][] {
  const per = REQUESTS / exporters;
  return Array.from({ length: exporters }, (_, e) =>
    Array.from({ length: per }, (_, r) => otlpBatch(seed + e, r * BATCH, BATCH, `bench-exporter-${e}`)),
  );
}

export const encodeBody = (req: unknown, format: Format): Buffer =>
  format === 'json' ? Buffer.from(JSON.stringify(req)) : Buffer.from(encodeExportRequestProtobuf(req));

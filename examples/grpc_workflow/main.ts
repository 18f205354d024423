/**
 * A TypeScript ingestion workflow exporting traces, logs and metrics over OTLP/gRPC
 * (telemetry.ts): four batches of rows are parsed and loaded, each batch a span with a log
 * record under it, and after each batch the process's memory is exported as a gauge
 * (`process.memory.usage`) beside a counter of rows loaded.
 *
 *   ingest: ingest_batch ×4 (parse_rows -> load_rows)
 *
 * What to look at: batch 3 holds a malformed row, skipped with a WARN log record on its
 * `parse_rows` span; the memory gauge has one point per batch.
 *
 *   OTEL_EXPORTER_OTLP_PROTOCOL=grpc npx runlens run -- npx tsx examples/grpc_workflow/main.ts
 */
import { context } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { exportMetrics, inSpan, launchContext, logger, meter, shutdown } from './telemetry';

const BATCHES: string[][] = [
  ['a,1', 'b,2', 'c,3'],
  ['d,4', 'e,5'],
  ['f,6', 'g;7', 'h,8'],
  ['i,9', 'j,10', 'k,11', 'l,12'],
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const rowsLoaded = meter.createCounter('rows.loaded', { unit: '{row}', description: 'Rows loaded into the table' });
meter
  .createObservableGauge('process.memory.usage', { unit: 'By', description: 'Resident memory of the workflow process' })
  .addCallback((result) => result.observe(process.memoryUsage().rss));

/** `name,value` lines → rows; a malformed line is skipped and logged as a warning. */
function parseRows(batch: number, lines: string[]): { key: string; value: number }[] {
  const rows: { key: string; value: number }[] = [];
  for (const line of lines) {
    const [key, value] = line.split(',');
    if (key === undefined || value === undefined || !Number.isFinite(Number(value))) {
      logger.emit({
        severityNumber: SeverityNumber.WARN,
        severityText: 'WARN',
        body: `batch ${batch}: skipped malformed row ${JSON.stringify(line)}`,
        attributes: { 'batch.number': batch },
      });
      continue;
    }
    rows.push({ key, value: Number(value) });
  }
  return rows;
}

async function ingest(): Promise<number> {
  let total = 0;
  await inSpan('ingest', { 'workflow.name': 'grpc_ingest', 'batch.count': BATCHES.length }, async () => {
    for (const [i, lines] of BATCHES.entries()) {
      const batch = i + 1;
      await inSpan('ingest_batch', { 'batch.number': batch }, async (span) => {
        const rows = await inSpan('parse_rows', { 'batch.number': batch }, async () => {
          await sleep(5); // reading the batch
          return parseRows(batch, lines);
        });
        await inSpan('load_rows', { 'rows.count': rows.length }, async () => sleep(10));
        span.setAttribute('rows.count', rows.length);
        rowsLoaded.add(rows.length);
        total += rows.length;
        logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `batch ${batch}: ${rows.length} rows loaded` });
      });
      await exportMetrics(); // one memory point per batch
    }
  });
  return total;
}

async function main(): Promise<number> {
  try {
    const total = await context.with(launchContext(), ingest);
    console.log(`ingested ${total} rows in ${BATCHES.length} batches`);
    return 0;
  } catch (err) {
    console.error(`ingest failed: ${err instanceof Error ? err.stack : String(err)}`);
    return 1;
  } finally {
    await shutdown(); // flush the batch processors and the metric reader before the process exits
  }
}

void main().then((code) => {
  process.exitCode = code;
});

/**
 * A TypeScript reporting workflow instrumented with the OpenTelemetry JS SDK
 * (@opentelemetry/sdk-trace-node + @opentelemetry/exporter-trace-otlp-proto: OTLP/HTTP
 * protobuf to the injected endpoint).
 *
 *   daily_report: fetch_orders -> convert_currency -> write_report
 *
 * What goes wrong here: a new partner sends orders priced in XBT; `convert_currency` throws
 * a RangeError from steps.ts, recorded on its span (recordException + status ERROR); the
 * provider is flushed and shut down, and the process exits 1.
 *
 *   npx tsx examples/ts_workflow/main.ts
 */
import { context } from '@opentelemetry/api';
import { convertAll, fetchOrders, writeReport } from './steps';
import { inSpan, launchContext, shutdown } from './tracing';

async function dailyReport(day: string): Promise<string> {
  return inSpan('daily_report', { 'workflow.name': 'daily_report', 'report.day': day }, async () => {
    const orders = await inSpan('fetch_orders', { 'report.day': day }, async (span) => {
      const rows = await fetchOrders(day);
      span.setAttribute('orders.count', rows.length);
      return rows;
    });
    const converted = await inSpan('convert_currency', { 'orders.count': orders.length, 'currency.target': 'EUR' }, () =>
      convertAll(orders),
    );
    return inSpan('write_report', { 'orders.count': converted.length }, () => writeReport(converted));
  });
}

async function main(): Promise<number> {
  try {
    const report = await context.with(launchContext(), () => dailyReport('2025-06-02'));
    console.log(report);
    return 0;
  } catch (err) {
    console.error(`daily_report failed: ${err instanceof Error ? err.stack : String(err)}`);
    return 1;
  } finally {
    await shutdown(); // flush the BatchSpanProcessor before the process exits
  }
}

void main().then((code) => {
  process.exitCode = code;
});

/**
 * Persisting one small batch (10 spans, what a live run sends) into a store of about 10 MB and
 * one of about 200 MB, through the store's public API; and a full snapshot of each. Target
 * (issue 13): the cost does not grow with what the store holds. `npm run bench -- persist`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceStore } from '../src/core/store/store';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import { median, otlpRequest } from './ingest';

async function persistCost(mb: number): Promise<{ dbMB: number; batchMs: number; snapshotMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-'));
  try {
    const store = await TraceStore.open({
      path: path.join(dir, 'traces.db'),
      maxRuns: 100_000,
      maxBytes: 10 * 1024 ** 3,
      snapshotIdleMs: 0,
    });
    while (store.sizeBytes() < mb * 1024 * 1024) store.apply(ingestOtlpJson(otlpRequest(5000)));
    store.snapshot();
    const times: number[] = [];
    for (let r = 0; r < 30; r++) {
      const batch = ingestOtlpJson(otlpRequest(10));
      const t0 = performance.now();
      store.apply(batch);
      times.push(performance.now() - t0);
    }
    const t0 = performance.now();
    store.snapshot();
    const snapshotMs = performance.now() - t0;
    const dbMB = store.sizeBytes() / 1024 / 1024;
    await store.close();
    return { dbMB: Math.round(dbMB), batchMs: median(times), snapshotMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPersist(): Promise<Record<string, unknown>> {
  const small = await persistCost(10);
  const large = await persistCost(200);
  const ratio = large.batchMs / small.batchMs;
  console.log(
    `persist: a 10-span batch ${small.batchMs.toFixed(2)} ms into ${small.dbMB} MB, ${large.batchMs.toFixed(2)} ms into ${large.dbMB} MB ` +
      `(ratio ${ratio.toFixed(2)}, target ≤ 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'}); a snapshot ${small.snapshotMs.toFixed(0)} ms / ${large.snapshotMs.toFixed(0)} ms`,
  );
  return { small, large, ratioLargeToSmall: +ratio.toFixed(2), target: 1.2, met: ratio <= 1.2 };
}

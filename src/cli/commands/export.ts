/** `runlens export <run>`: one run's spans as OTLP JSON or Jaeger JSON, to a file or stdout. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toJaegerJson, toOtlpJson } from '../../core/export';
import type { Store } from '../../core/store/types';
import { quoteArg, UsageError, type Parsed } from '../args';
import { findRun, openForReading, runArgument } from '../database';
import { escapeC1, log } from '../output';

export async function cmdExport(p: Parsed): Promise<number> {
  const format = p.flags.get('format') ?? 'otlp-json';
  if (format !== 'otlp-json' && format !== 'jaeger-json')
    throw new UsageError(`--format must be otlp-json or jaeger-json, got ${quoteArg(String(format))}`);
  const out = p.flags.get('out');
  if (typeof out === 'string') checkOutFile(out);
  const id = runArgument(p);
  const { store, file } = await openForReading(p);
  let run: ReturnType<typeof findRun>;
  let text: string;
  let spans: ReturnType<Store['getSpans']>;
  try {
    run = findRun(store, id, file);
    spans = store.getSpans(run.id);
    const doc = format === 'otlp-json' ? toOtlpJson(spans, run) : toJaegerJson(run, spans);
    text = escapeC1(JSON.stringify(doc, null, 2)) + '\n';
  } finally {
    await store.close(); // also when the run is not there: no lock left behind
  }
  if (typeof out === 'string') {
    try {
      fs.writeFileSync(out, text);
    } catch (err) {
      log(`cannot write ${out}: ${(err as Error).message}`);
      return 1;
    }
    log(`wrote ${spans.length} spans of run ${run.id} to ${out}`);
  } else process.stdout.write(text);
  return 0;
}

/** --out names a file in a folder that exists (not a folder itself): else a usage error, before any work. */
function checkOutFile(out: string): void {
  if (!out) throw new UsageError('--out needs a file name', 'export');
  const folder = path.dirname(path.resolve(out));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(folder);
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) throw new UsageError(`--out ${quoteArg(out)}: folder ${quoteArg(path.dirname(out))} does not exist`, 'export');
  let target: fs.Stats | undefined;
  try {
    target = fs.statSync(out);
  } catch {
    target = undefined;
  }
  if (target?.isDirectory()) throw new UsageError(`--out ${quoteArg(out)} is a folder; name a file`, 'export');
}

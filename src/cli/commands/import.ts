/** `runlens import <file...>`: store the runs in trace files (into the database, or through the Runlens that holds it). */
import { openWriter } from '../../core/forward';
import { formatImportReport, importTracePaths } from '../../core/ingest/importPlan';
import { TraceStore } from '../../core/store/store';
import { dbPath, UsageError, type Parsed } from '../args';
import { log, print } from '../output';

export async function cmdImport(p: Parsed): Promise<number> {
  if (!p.positional.length) throw new UsageError('runlens import needs a file');
  const file = dbPath(p);
  // Into the database, or through the Runlens that holds it (a VS Code window, serve, a run);
  // then what is stored already is read from the database itself.
  const { store, forward } = await openWriter(file, { log });
  const view = forward ? await TraceStore.open({ path: file, readOnly: true, log }) : store;
  try {
    const report = importTracePaths(store, p.positional, view);
    // What was imported to stdout, files that could not be imported to stderr.
    formatImportReport(report).forEach((line, i) => print(report.files[i]!.error ? process.stderr : process.stdout, line + '\n'));
    await forward?.drain();
    // Partly imported (unreadable lines, spans refused) or not at all: not a success.
    return report.failed || report.partial || forward?.failed ? 1 : 0;
  } finally {
    if (view !== store) await view.close();
    await store.close();
  }
}

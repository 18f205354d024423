/** `runlens import <file...>`: store the runs in trace files (into the database, or through the Runlens that holds it). */
import { openWriter } from '../../core/forward';
import { formatImportReport, importTracePaths, type ImportReport } from '../../core/ingest/importPlan';
import { TraceStore } from '../../core/store/store';
import { dbPath, teamUrl, UsageError, type Parsed } from '../args';
import { openTeam } from '../database';
import { log, print } from '../output';

export async function cmdImport(p: Parsed): Promise<number> {
  if (!p.positional.length) throw new UsageError('runlens import needs a file');
  const team = teamUrl(p);
  if (team) {
    // A team database takes writers side by side: straight in, no holder to go through.
    const store = await openTeam(team);
    try {
      return report(importTracePaths(store, p.positional, store));
    } finally {
      await store.close();
    }
  }
  const file = dbPath(p);
  // Into the database, or through the Runlens that holds it (a VS Code window, serve, a run);
  // then what is stored already is read from the database itself.
  const { store, forward } = await openWriter(file, { log });
  const view = forward ? await TraceStore.open({ path: file, readOnly: true, log }) : store;
  try {
    const code = report(importTracePaths(store, p.positional, view));
    await forward?.drain();
    return code || (forward?.failed ? 1 : 0);
  } finally {
    if (view !== store) await view.close();
    await store.close();
  }
}

/** What was imported to stdout, files that could not be imported to stderr; partly imported or not at all: exit 1. */
function report(r: ImportReport): number {
  formatImportReport(r).forEach((line, i) => print(r.files[i]!.error ? process.stderr : process.stdout, line + '\n'));
  return r.failed || r.partial ? 1 : 0;
}

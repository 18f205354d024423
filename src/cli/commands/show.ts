/** `runlens show <run>`: one run's span tree and failed steps with file:line, or it as JSON. */
import { formatRunReport } from '../../core/report';
import { findWorkspaceRoot } from '../../core/workspace';
import type { Parsed } from '../args';
import { findRun, openForReading, runArgument } from '../database';
import { encodeJson, useColor } from '../output';

export async function cmdShow(p: Parsed): Promise<number> {
  const id = runArgument(p);
  const { store, file } = await openForReading(p);
  try {
    const run = findRun(store, id, file);
    const spans = store.getSpans(run.id);
    if (p.flags.has('json')) process.stdout.write(encodeJson({ run, spans }) + '\n');
    else {
      const root = findWorkspaceRoot(process.cwd());
      process.stdout.write(
        formatRunReport(run, spans, { workspaceRoot: root, cwd: run.cwd ?? root, color: useColor(process.stdout) }) + '\n',
      );
    }
  } finally {
    await store.close(); // also when the run is not there: no lock left behind
  }
  return 0;
}

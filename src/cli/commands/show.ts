/**
 * `runlens show <run>`: one run's span tree (each step's log records under it), failed steps
 * with file:line, logs of no step and metric series, or all of it as JSON.
 */
import { effectiveSeverity, formatRunReport } from '../../core/report';
import { findWorkspaceRoot } from '../../core/workspace';
import { severityOf, type Parsed } from '../args';
import { findRun, openForReading, runArgument } from '../database';
import { encodeJson, useColor } from '../output';

export async function cmdShow(p: Parsed): Promise<number> {
  const id = runArgument(p);
  const least = severityOf(p);
  const { store, file } = await openForReading(p);
  try {
    const run = findRun(store, id, file);
    const spans = store.getSpans(run.id);
    // Records of no stated severity count as INFO (effectiveSeverity), so they are filtered here.
    const logs = store.getLogs(run.id).filter((l) => effectiveSeverity(l) >= least);
    const metrics = store.getMetrics(run.id);
    if (p.flags.has('json')) process.stdout.write(encodeJson({ run, spans, logs, metrics }) + '\n');
    else {
      const root = findWorkspaceRoot(process.cwd());
      const color = useColor(process.stdout);
      process.stdout.write(formatRunReport(run, spans, { workspaceRoot: root, cwd: run.cwd ?? root, color, logs, metrics }) + '\n');
    }
  } finally {
    await store.close(); // also when the run is not there: no lock left behind
  }
  return 0;
}

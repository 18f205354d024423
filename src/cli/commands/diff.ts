/** `runlens diff <run> [<baseline>|last-success]`: what changed since the run last worked (src/core/diff). */
import { diffRuns, NoBaselineError } from '../../core/diff/gather';
import { formatRunDiff, hasNewFailure } from '../../core/diff/text';
import { gitToplevel } from '../../core/context/git';
import type { Parsed } from '../args';
import { findRun, openForReading, runArgument, StoreAccessError } from '../database';
import { encodeJson, useColor } from '../output';

export async function cmdDiff(p: Parsed): Promise<number> {
  const id = runArgument(p);
  const baselineArg = p.positional[1];
  const { store, file } = await openForReading(p);
  try {
    const run = findRun(store, id, file);
    const baseline = baselineArg && baselineArg !== 'last-success' ? findRun(store, baselineArg, file).id : undefined;
    let diff;
    try {
      // git answers about the repository this command runs in, never one a stored run names.
      diff = await diffRuns(store, run.id, baseline, { gitRoot: await gitToplevel(process.cwd()) });
    } catch (err) {
      if (err instanceof NoBaselineError)
        throw new StoreAccessError(`${err.message}; name a baseline: runlens diff ${run.id.slice(0, 8)} <baselineId>`);
      throw err;
    }
    if (p.flags.has('json')) process.stdout.write(encodeJson(diff) + '\n');
    else process.stdout.write(formatRunDiff(diff, { color: useColor(process.stdout) }) + '\n');
    return hasNewFailure(diff) ? 1 : 0;
  } finally {
    await store.close();
  }
}

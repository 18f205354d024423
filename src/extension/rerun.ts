/**
 * What Re-run, Re-run Last and Debug from Here start for a stored run. Pure: no `vscode`
 * import; main.ts passes in this window's launches and the workflows the user declared.
 *
 * A stored run's `command` is a record written by whoever wrote the store (a request on the
 * loopback port, an imported file, a cloned repository's `.runlens/`), so it is never a
 * reason to start anything. A run may be re-run only when this window launched it or its
 * launch signature verifies with this user's key (`rerunRefusal`); what starts is then
 * resolved now: this window's own spec, else the same-named workflow the user declares in
 * settings/launch.json, else the signed command line.
 */
import { rerunRefusal } from '../core/launchKey';
import type { Run } from '../core/model';
import type { WorkflowSpec } from './workflowSources';

export interface RerunSources {
  /** The spec this window launched the run from, if it did (kept in memory, not in the store). */
  windowSpec?: WorkflowSpec;
  /** Workflows from the user's settings and launch.json, read now. */
  declared: readonly WorkflowSpec[];
  /** Where a signed command runs when the run recorded no cwd. */
  fallbackCwd: string;
}

export type RerunDecision = { spec: WorkflowSpec } | { refusal: string };

/** Why this run may not be re-run, or undefined when it may. */
export function rerunBlocked(run: Run, windowSpec?: WorkflowSpec): string | undefined {
  return windowSpec ? undefined : rerunRefusal(run);
}

/** The spec to run a recorded run again, or the reason there is none. */
export function resolveRerun(run: Run, sources: RerunSources): RerunDecision {
  if (sources.windowSpec) return { spec: sources.windowSpec };
  const refusal = rerunRefusal(run);
  if (refusal) return { refusal };
  const wf = run.workflow ?? run.name;
  const declared = sources.declared.find((s) => s.name === wf && s.origin !== 'file');
  if (declared) return { spec: declared };
  return { spec: { name: wf, command: [...run.command!], cwd: run.cwd ?? sources.fallbackCwd, env: {}, origin: 'run' } };
}

/** The run Re-run Last starts: the newest one that may be re-run (forged or foreign runs are skipped). */
export function lastRerunnable(
  runs: readonly Run[],
  windowSpec: (runId: string) => WorkflowSpec | undefined = () => undefined,
): Run | undefined {
  return runs.find((r) => r.source === 'launch' && rerunBlocked(r, windowSpec(r.id)) === undefined);
}

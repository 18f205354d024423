/**
 * What Re-run, Re-run Last and Debug from Here start for a stored run. Pure: no `vscode`
 * import; main.ts passes in this window's launches and the workflows the user declared.
 */
import type { Run } from '../core/model';
import type { WorkflowSpec } from './workflowSources';

export interface RerunSources {
  /** The spec this window launched the run from, if it did. */
  windowSpec?: WorkflowSpec;
  /** Workflows from the user's settings and launch.json, read now. */
  declared: readonly WorkflowSpec[];
  /** Where a stored command runs when the run recorded no cwd. */
  fallbackCwd: string;
}

export type RerunDecision = { spec: WorkflowSpec } | { refusal: string };

/** The spec to run a recorded run again: this window's, the same-named workflow in settings, or its command line. */
export function resolveRerun(run: Run, sources: RerunSources): RerunDecision {
  if (sources.windowSpec) return { spec: sources.windowSpec };
  const wf = run.workflow ?? run.name;
  const declared = sources.declared.find((s) => s.name === wf && s.origin !== 'file');
  if (declared) return { spec: declared };
  if (run.command?.length) return { spec: { name: wf, command: run.command, cwd: run.cwd ?? sources.fallbackCwd, env: {}, origin: 'run' } };
  return { refusal: run.source === 'otlp' ? 'it was attached, not launched' : 'it was not launched by Runlens' };
}

/** The run Re-run Last starts: the newest launched run. */
export function lastRerunnable(runs: readonly Run[]): Run | undefined {
  return runs.find((r) => r.source === 'launch');
}

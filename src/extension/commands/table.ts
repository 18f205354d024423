/**
 * Every command Runlens contributes, in one table: id → the arguments it takes and what it
 * returns. The handlers are registered against it (commands/register.ts), package.json's
 * `contributes.commands` and menus are checked against it (test/unit/extension-commands), and
 * callers that run a command with arguments (tests, lenses, hovers) get its types from here.
 * Pure: no `vscode` at run time, so the table loads in plain node.
 */
import type { Uri } from 'vscode';
import type { TreeNode } from '../treeSources';

/**
 * A command's run (and step): a tree row, or `{ runId, spanId?, source? }` from lenses, hovers and
 * tests (`source: 'team'`: the team store's run; absent: the workspace's); none = the selection or a QuickPick.
 */
export type Target = TreeNode | { runId: string; spanId?: string; source?: 'team' } | undefined;

/** A step function's place in the code (the history lens's argument). */
export interface StepRef {
  file: string;
  line: number;
  step: string;
}

type ExportFormat = 'otlp-json' | 'jaeger-json';

type Returns<T> = T | Promise<T>;

export interface CommandTable {
  /** With a workflow name (keybindings, tasks, tests) it runs directly; the run id. */
  'runlens.runWorkflow': (name?: unknown) => Returns<string | undefined>;
  'runlens.stopRun': (target?: Target) => Returns<void>;
  'runlens.rerun': (target?: Target) => Returns<string | undefined>;
  'runlens.rerunLast': () => Returns<string | undefined>;
  'runlens.attachLogFile': () => Returns<string | undefined>;
  /** The imported runs' ids. */
  'runlens.importTraceFile': (uris?: Uri[]) => Returns<string[]>;
  'runlens.openTimeline': (target?: Target) => Returns<void>;
  /** Whether a file opened. */
  'runlens.goToSource': (target?: Target) => Returns<boolean>;
  'runlens.compareWith': (target?: Target) => Returns<void>;
  'runlens.compareWithLastSuccess': (target?: Target) => Returns<void>;
  /** The Run Diff report of a run against `baselineId` (a run id), or its last success. */
  'runlens.runDiff': (target?: Target, baselineId?: string) => Returns<void>;
  /** Where the run was written. */
  'runlens.exportRun': (target?: Target, format?: ExportFormat | string, out?: Uri) => Returns<Uri | undefined>;
  'runlens.copyTraceId': (target?: Target) => Returns<string | undefined>;
  'runlens.deleteRun': (target?: Target) => Returns<void>;
  'runlens.clearAll': () => Returns<void>;
  'runlens.filter': () => Returns<void>;
  'runlens.clearFilter': () => Returns<void>;
  'runlens.groupByWorkflow': () => Returns<void>;
  'runlens.ungroup': () => Returns<void>;
  'runlens.toggleGroupByWorkflow': () => Returns<void>;
  'runlens.refresh': () => Returns<void>;
  'runlens.showLogs': () => Returns<void>;
  /** The endpoint copied, if the collector runs. */
  'runlens.copyEndpoint': () => Returns<string | undefined>;
  'runlens.startCollector': () => Returns<void>;
  'runlens.stopCollector': () => Returns<void>;
  'runlens.statusMenu': () => Returns<void>;
  'runlens.revealRun': (target?: Target) => Returns<void>;
  'runlens.showStepHistory': (step?: StepRef) => Returns<void>;
  /** Whether the debugger started. */
  'runlens.debugFromHere': (target?: Target) => Returns<boolean>;
  /** Copy a workspace run to the team store; what was copied (undefined when nothing was). */
  'runlens.publishRun': (target?: Target) => Returns<{ spans: number } | undefined>;
  'runlens.filterByOrigin': () => Returns<void>;
  /** With a password (tests), stored without asking. */
  'runlens.setTeamPassword': (password?: unknown) => Returns<void>;
  'runlens.clearTeamPassword': () => Returns<void>;
}

export type CommandId = keyof CommandTable;
export type CommandArgs<K extends CommandId> = Parameters<CommandTable[K]>;

/** Every id once (the object literal makes the compiler check none is missing and none is extra). */
export const COMMAND_IDS = Object.keys({
  'runlens.runWorkflow': true,
  'runlens.stopRun': true,
  'runlens.rerun': true,
  'runlens.rerunLast': true,
  'runlens.attachLogFile': true,
  'runlens.importTraceFile': true,
  'runlens.openTimeline': true,
  'runlens.goToSource': true,
  'runlens.compareWith': true,
  'runlens.compareWithLastSuccess': true,
  'runlens.runDiff': true,
  'runlens.exportRun': true,
  'runlens.copyTraceId': true,
  'runlens.deleteRun': true,
  'runlens.clearAll': true,
  'runlens.filter': true,
  'runlens.clearFilter': true,
  'runlens.groupByWorkflow': true,
  'runlens.ungroup': true,
  'runlens.toggleGroupByWorkflow': true,
  'runlens.refresh': true,
  'runlens.showLogs': true,
  'runlens.copyEndpoint': true,
  'runlens.startCollector': true,
  'runlens.stopCollector': true,
  'runlens.statusMenu': true,
  'runlens.revealRun': true,
  'runlens.showStepHistory': true,
  'runlens.debugFromHere': true,
  'runlens.publishRun': true,
  'runlens.filterByOrigin': true,
  'runlens.setTeamPassword': true,
  'runlens.clearTeamPassword': true,
} satisfies Record<CommandId, true>) as CommandId[];

/** A command to attach to a tree row or a CodeLens (a `vscode.Command`), its arguments typed by the table. */
export function commandRef<K extends CommandId>(
  id: K,
  title: string,
  ...args: CommandArgs<K>
): { command: K; title: string; arguments: CommandArgs<K> } {
  return { command: id, title, arguments: args };
}

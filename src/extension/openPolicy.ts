/**
 * Whether a file named by trace data may be opened. Pure: no `vscode` import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OpenScope {
  /** The workspace folders (absolute). */
  folders: readonly string[];
  /** The user's runlens.pathMappings (prefix → local path). */
  pathMappings: Readonly<Record<string, string>>;
}

export type OpenDecision = { open: true; file: string } | { open: false; file: string; reason: string };

export function decideOpen(file: string, _scope: OpenScope): OpenDecision {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) return { open: false, file: abs, reason: 'it does not exist' };
  return { open: true, file: abs };
}

/**
 * Whether a file named by trace data may be opened without asking. Pure: no `vscode` import;
 * every path that opens a file from a trace (Go to Source, the timeline's source and stack
 * frame links, Problems entries, Debug from Here's breakpoint) asks this first.
 *
 * A span can name any path (`/etc/passwd`, `../../.ssh/id_rsa`, a symlink in the workspace
 * that points out of it). Files inside a workspace folder, or under a local folder the user
 * mapped trace paths to (`runlens.pathMappings`), open; anything else is shown to the user,
 * named, and opens only if they say so. Symlinks are followed before deciding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OpenScope {
  /** The workspace folders (absolute). */
  folders: readonly string[];
  /** The user's runlens.pathMappings (prefix in traces → local folder). */
  pathMappings: Readonly<Record<string, string>>;
}

export type OpenDecision =
  | { open: true; file: string }
  /** `missing`: nothing to open; otherwise ask the user, naming `file` and `reason`. */
  | { open: false; file: string; reason: string; missing?: boolean };

export interface OpenPolicyIo {
  realpath(p: string): string;
  isFile(p: string): boolean;
  platform: NodeJS.Platform;
}

const nodeIo: OpenPolicyIo = {
  realpath: (p) => fs.realpathSync.native(p),
  isFile: (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  platform: process.platform,
};

/** The local folders trace files may open from without asking. */
function openRoots(scope: OpenScope): string[] {
  return [...scope.folders, ...Object.values(scope.pathMappings)]
    .filter((r) => typeof r === 'string' && r !== '' && path.isAbsolute(r))
    .map((r) => path.resolve(r));
}

function inside(file: string, root: string, platform: NodeJS.Platform): boolean {
  const fold = (s: string) => (platform === 'win32' || platform === 'darwin' ? s.toLowerCase() : s);
  const rel = path.relative(fold(root), fold(file));
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}

export function decideOpen(file: string, scope: OpenScope, io: OpenPolicyIo = nodeIo): OpenDecision {
  if (file.includes('\0')) return { open: false, file: file.replace(/\0/g, '\\0'), reason: 'the path contains a NUL character' };
  if (!path.isAbsolute(file)) return { open: false, file, reason: 'the trace gives a relative path, so where it points is a guess' };
  const abs = path.resolve(file);
  if (!io.isFile(abs)) return { open: false, file: abs, reason: 'there is no such file here', missing: true };
  let real: string;
  try {
    real = io.realpath(abs);
  } catch {
    return { open: false, file: abs, reason: 'there is no such file here', missing: true };
  }
  const roots = openRoots(scope);
  const realRoots = roots.map((r) => {
    try {
      return io.realpath(r);
    } catch {
      return r;
    }
  });
  // Both the path as named and where it really leads must be inside (a symlink can point out).
  const named = roots.some((r) => inside(abs, r, io.platform)) || realRoots.some((r) => inside(abs, r, io.platform));
  const leads = realRoots.some((r) => inside(real, r, io.platform));
  if (named && leads) return { open: true, file: abs };
  if (named) return { open: false, file: abs, reason: `it is a link to ${real}, outside the workspace folders and path mappings` };
  return {
    open: false,
    file: abs,
    reason: roots.length
      ? 'it is outside the workspace folders and the folders in runlens.pathMappings'
      : 'no workspace folder is open and runlens.pathMappings maps no folder',
  };
}

// Fresh copies of fixture workspaces and the user settings every session starts from.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface WorkspaceSpec {
  /** Folders or files copied into the workspace: [source, name inside the workspace]. */
  copy: Array<[from: string, to: string]>;
  /** Written to .vscode/settings.json. */
  settings?: Record<string, unknown>;
  /** Extra files: relative path -> content. */
  files?: Record<string, string>;
  /** Make the folder a git repository with everything committed (what a run's context records). */
  git?: boolean;
}

export function makeWorkspace(dir: string, spec: WorkspaceSpec): string {
  mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  for (const [from, to] of spec.copy) {
    cpSync(from, path.join(dir, to), {
      recursive: true,
      // Leftovers of a local run of the examples would change what the first run does.
      filter: (src) => !/(^|[\\/])(\.cache|\.runlens|__pycache__|node_modules)([\\/]|$)/.test(path.relative(from, src)),
    });
  }
  writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify(spec.settings ?? {}, null, 2));
  for (const [rel, content] of Object.entries(spec.files ?? {})) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  if (spec.git) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', 'add', '.');
    git('-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', 'commit', '-q', '-m', 'workspace');
  }
  return dir;
}

/** User settings for a quiet, deterministic workbench: trusted, offline, no tours. */
export const BASE_USER_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  // The DOM renderer keeps terminal text readable from the page (no GPU here anyway).
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  'editor.codeLens': true,
  'editor.minimap.enabled': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...BASE_USER_SETTINGS, ...settings }, null, 2));
}

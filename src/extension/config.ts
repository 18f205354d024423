/** One typed view over `contributes.configuration` (every key, its default, in one place). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_DB } from '../core/workspace';
import { boundedNumber } from './configBounds';

export interface Config {
  workflows: unknown[];
  collectorEnabled: boolean;
  collectorPort: number;
  /** The OTLP/gRPC receiver's port (`runlens.collector.grpcPort`), started beside the collector. */
  collectorGrpcPort: number;
  /** Where the collector also sends every trace (`runlens.collector.forwardEndpoint`, user or machine settings only); '' = nowhere. */
  collectorForwardEndpoint: string;
  /** Absolute database path. */
  databasePath: string;
  retentionMaxRuns: number;
  retentionMaxSizeMB: number;
  pathMappings: Record<string, string>;
  attributesMaxLength: number;
  codeLensEnabled: boolean;
  historyLensEnabled: boolean;
  problemsEnabled: boolean;
  pythonPath: string;
}

const SECTION = 'runlens';

export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Settings read when the database is opened: they apply after a window reload (the collector ones restart it live). */
export const RELOAD_KEYS = [
  'runlens.database.path',
  'runlens.retention.maxRuns',
  'runlens.retention.maxSizeMB',
  'runlens.attributes.maxLength',
];

function readConfig(fallbackDir: string): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  const root = workspaceRoot();
  const rawDb = c.get<string>('database.path', '').trim();
  const substituted = rawDb.replace(/\$\{workspaceFolder\}/g, root ?? fallbackDir);
  const databasePath = substituted
    ? path.isAbsolute(substituted)
      ? substituted
      : path.resolve(root ?? fallbackDir, substituted)
    : path.join(root ?? fallbackDir, DEFAULT_DB);
  const mappings: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.get<Record<string, unknown>>('pathMappings', {}) ?? {})) {
    if (typeof v === 'string') mappings[k] = v.replace(/\$\{workspaceFolder\}/g, root ?? fallbackDir);
  }
  return {
    workflows: c.get<unknown[]>('workflows', []) ?? [],
    collectorEnabled: c.get<boolean>('collector.enabled', true),
    collectorPort: boundedNumber('collector.port', c.get<unknown>('collector.port')),
    collectorGrpcPort: boundedNumber('collector.grpcPort', c.get<unknown>('collector.grpcPort')),
    collectorForwardEndpoint: forwardEndpoint(c),
    databasePath,
    retentionMaxRuns: boundedNumber('retention.maxRuns', c.get<unknown>('retention.maxRuns')),
    retentionMaxSizeMB: boundedNumber('retention.maxSizeMB', c.get<unknown>('retention.maxSizeMB')),
    pathMappings: mappings,
    attributesMaxLength: boundedNumber('attributes.maxLength', c.get<unknown>('attributes.maxLength')),
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    historyLensEnabled: c.get<boolean>('codeLens.history', true),
    problemsEnabled: c.get<boolean>('problems.enabled', true),
    pythonPath: c.get<string>('pythonPath', '') || 'python3',
  };
}

/**
 * The forwarding endpoint from the user's (or remote machine's) own settings only: a workspace
 * that arrived with a repository must never send this machine's traces anywhere (the setting is
 * machine-scoped, which VS Code enforces too; read from the user's value to be sure).
 */
function forwardEndpoint(c: vscode.WorkspaceConfiguration): string {
  const v = c.inspect<unknown>('collector.forwardEndpoint')?.globalValue;
  return typeof v === 'string' ? v.trim() : '';
}

/** The settings now, re-read on every change before the listeners hear of it (with the values before). */
export class LiveConfig implements vscode.Disposable {
  private value: Config;
  private readonly emitter = new vscode.EventEmitter<{ event: vscode.ConfigurationChangeEvent; before: Config }>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly fallbackDir: string) {
    this.value = readConfig(fallbackDir);
    this.sub = vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      const before = this.value;
      this.value = readConfig(this.fallbackDir);
      this.emitter.fire({ event, before });
    });
  }

  get current(): Config {
    return this.value;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

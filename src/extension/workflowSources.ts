/**
 * Where runnable workflows come from — the `runlens.workflows` setting, the workspace's
 * launch.json (Python and Node launch configurations, so nobody declares a workflow twice)
 * and the active file — turned into one shape the launcher and the debugger both use.
 * Pure: no `vscode` import; variables are substituted from a context the adapter fills in.
 */
import * as path from 'node:path';

export interface WorkflowSpec {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Glob patterns of input files (relative to cwd) whose hashes go into each run's context. */
  inputs?: string[];
  origin: 'settings' | 'launch' | 'file' | 'run';
  /** Shown in the QuickPick (where it was declared). */
  detail?: string;
  /** The launch.json configuration this came from (reused by Debug from Here). */
  launchConfig?: Record<string, unknown>;
  /** Workspace folder it belongs to. */
  folder?: string;
}

/** A configuration that could not be used, and why (shown, not silently dropped). */
export interface SkippedWorkflow {
  name: string;
  reason: string;
}

export interface VariableContext {
  workspaceFolder: string;
  /** Active editor file, if any. */
  file?: string;
  env: Record<string, string | undefined>;
  userHome?: string;
}

class UnsupportedVariableError extends Error {}

/** `${workspaceFolder}`, `${file}`, `${env:NAME}`… in a launch.json / settings string. */
function substituteVariables(value: string, ctx: VariableContext): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
    const file = ctx.file;
    const needFile = (v: string | undefined): string => {
      if (v === undefined) throw new UnsupportedVariableError(`${whole} needs an open file`);
      return v;
    };
    if (expr.startsWith('env:')) return ctx.env[expr.slice(4)] ?? '';
    switch (expr) {
      case 'workspaceFolder':
      case 'workspaceRoot':
        return ctx.workspaceFolder;
      case 'workspaceFolderBasename':
        return path.basename(ctx.workspaceFolder);
      case 'file':
        return needFile(file);
      case 'fileBasename':
        return path.basename(needFile(file));
      case 'fileBasenameNoExtension':
        return path.basename(needFile(file), path.extname(needFile(file)));
      case 'fileDirname':
        return path.dirname(needFile(file));
      case 'fileExtname':
        return path.extname(needFile(file));
      case 'relativeFile':
        return path.relative(ctx.workspaceFolder, needFile(file));
      case 'relativeFileDirname':
        return path.relative(ctx.workspaceFolder, path.dirname(needFile(file)));
      case 'cwd':
        return ctx.workspaceFolder;
      case 'userHome':
        return ctx.userHome ?? ctx.env.HOME ?? '';
      case 'pathSeparator':
      case '/':
        return path.sep;
      default:
        throw new UnsupportedVariableError(`${whole} is not supported outside the debugger`);
    }
  });
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function envOf(v: unknown, ctx: VariableContext): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null || val === undefined) continue;
    out[k] = substituteVariables(String(val), ctx);
  }
  return out;
}

function resolveCwd(cwd: unknown, ctx: VariableContext): string {
  if (typeof cwd !== 'string' || cwd === '') return ctx.workspaceFolder;
  const c = substituteVariables(cwd, ctx);
  return path.isAbsolute(c) ? path.normalize(c) : path.resolve(ctx.workspaceFolder, c);
}

/** One entry of the `runlens.workflows` setting. */
export function fromSetting(entry: unknown, ctx: VariableContext): WorkflowSpec | SkippedWorkflow {
  const e = (entry ?? {}) as Record<string, unknown>;
  const name = typeof e.name === 'string' && e.name.trim() ? e.name.trim() : undefined;
  if (!name) return { name: '(unnamed)', reason: 'a runlens.workflows entry has no "name"' };
  if (typeof e.command !== 'string' || !e.command.trim()) return { name, reason: 'no "command"' };
  if (e.args !== undefined && !isStringArray(e.args)) return { name, reason: '"args" must be an array of strings' };
  if (e.inputs !== undefined && !isStringArray(e.inputs)) return { name, reason: '"inputs" must be an array of glob patterns' };
  try {
    const args = ((e.args as string[] | undefined) ?? []).map((a) => substituteVariables(a, ctx));
    return {
      name,
      command: [substituteVariables(e.command.trim(), ctx), ...args],
      cwd: resolveCwd(e.cwd, ctx),
      env: envOf(e.env, ctx),
      ...(e.inputs ? { inputs: (e.inputs as string[]).map((g) => substituteVariables(g, ctx)) } : {}),
      origin: 'settings',
      detail: `${[e.command, ...((e.args as string[]) ?? [])].join(' ')}  (settings)`,
      folder: ctx.workspaceFolder,
    };
  } catch (err) {
    if (err instanceof UnsupportedVariableError) return { name, reason: err.message };
    throw err;
  }
}

const LAUNCH_TYPES = ['python', 'debugpy', 'node', 'pwa-node'] as const;

export interface LaunchDefaults {
  /** Python interpreter when the configuration names none. */
  python: string;
}

/** A launch.json configuration of a Python or Node type, as a command line. */
export function fromLaunchConfig(
  config: Record<string, unknown>,
  ctx: VariableContext,
  defaults: LaunchDefaults,
): WorkflowSpec | SkippedWorkflow | undefined {
  const type = config.type;
  if (typeof type !== 'string' || !(LAUNCH_TYPES as readonly string[]).includes(type)) return undefined;
  const name = typeof config.name === 'string' ? config.name : `${type} configuration`;
  if (config.request !== 'launch') return { name, reason: 'only "launch" configurations can be run (this one attaches)' };
  try {
    const args =
      config.args === undefined
        ? []
        : isStringArray(config.args)
          ? config.args
          : typeof config.args === 'string'
            ? config.args.split(/\s+/).filter(Boolean)
            : undefined;
    if (!args) return { name, reason: '"args" must be an array of strings' };
    const sub = (s: string) => substituteVariables(s, ctx);
    let command: string[];
    if (type === 'python' || type === 'debugpy') {
      const python = typeof config.python === 'string' ? sub(config.python) : defaults.python;
      const pyArgs = isStringArray(config.pythonArgs) ? config.pythonArgs.map(sub) : [];
      if (typeof config.program === 'string') command = [python, ...pyArgs, sub(config.program), ...args.map(sub)];
      else if (typeof config.module === 'string') command = [python, ...pyArgs, '-m', sub(config.module), ...args.map(sub)];
      else return { name, reason: 'no "program" or "module"' };
    } else {
      const runtime = typeof config.runtimeExecutable === 'string' ? sub(config.runtimeExecutable) : 'node';
      const runtimeArgs = isStringArray(config.runtimeArgs) ? config.runtimeArgs.map(sub) : [];
      const program = typeof config.program === 'string' ? [sub(config.program)] : [];
      if (!program.length && !runtimeArgs.length) return { name, reason: 'no "program" or "runtimeArgs"' };
      command = [runtime, ...runtimeArgs, ...program, ...args.map(sub)];
    }
    const env = envOf(config.env, ctx);
    return {
      name,
      command,
      cwd: resolveCwd(config.cwd, ctx),
      env,
      origin: 'launch',
      detail: `${type} launch configuration  (launch.json)`,
      launchConfig: config,
      folder: ctx.workspaceFolder,
    };
  } catch (err) {
    if (err instanceof UnsupportedVariableError) return { name, reason: err.message };
    throw err;
  }
}

/** "Run active file" for a Python, JavaScript or TypeScript editor. */
export function forActiveFile(file: string, languageId: string, ctx: VariableContext, defaults: LaunchDefaults): WorkflowSpec | undefined {
  const base = path.basename(file);
  const spec = (command: string[]): WorkflowSpec => ({
    name: base,
    command,
    cwd: ctx.workspaceFolder,
    env: {},
    origin: 'file',
    detail: command.join(' '),
    folder: ctx.workspaceFolder,
  });
  if (languageId === 'python') return spec([defaults.python, file]);
  if (languageId === 'javascript' || /\.(c|m)?js$/.test(file)) return spec(['node', file]);
  if (languageId === 'typescript' || /\.(c|m)?ts$/.test(file)) return spec(['npx', 'tsx', file]);
  return undefined;
}

/**
 * The debug configuration that re-runs a workflow under the VS Code debugger: the
 * launch.json configuration it came from when there is one, else one derived from the
 * command line (python → debugpy, node → node). Undefined when the command is neither.
 */
export function debugConfigFor(
  spec: Pick<WorkflowSpec, 'name' | 'command' | 'cwd' | 'env' | 'launchConfig'>,
): Record<string, unknown> | undefined {
  if (spec.launchConfig) {
    const c = { ...spec.launchConfig };
    if (c.type === 'python') c.type = 'debugpy';
    return { ...c, name: `Runlens: ${spec.name}`, env: { ...((c.env as Record<string, string>) ?? {}), ...spec.env } };
  }
  const [exe, ...rest] = spec.command;
  if (!exe) return undefined;
  const bin = path.basename(exe).toLowerCase();
  const common = { name: `Runlens: ${spec.name}`, request: 'launch', cwd: spec.cwd, env: spec.env };
  if (/^python(\d+(\.\d+)*)?(\.exe)?$/.test(bin)) {
    const m = rest.indexOf('-m');
    const firstPlain = rest.findIndex((a) => !a.startsWith('-'));
    if (m >= 0 && m < (firstPlain < 0 ? rest.length : firstPlain + 1) && rest[m + 1]) {
      return {
        ...common,
        type: 'debugpy',
        python: exe,
        module: rest[m + 1],
        args: rest.slice(m + 2),
        console: 'integratedTerminal',
        justMyCode: true,
      };
    }
    if (firstPlain < 0) return undefined;
    return {
      ...common,
      type: 'debugpy',
      python: exe,
      program: rest[firstPlain],
      args: rest.slice(firstPlain + 1),
      console: 'integratedTerminal',
      justMyCode: true,
    };
  }
  if (/^node(\.exe)?$/.test(bin)) {
    const firstPlain = rest.findIndex((a) => !a.startsWith('-'));
    if (firstPlain < 0) return undefined;
    return {
      ...common,
      type: 'node',
      runtimeArgs: rest.slice(0, firstPlain),
      program: rest[firstPlain],
      args: rest.slice(firstPlain + 1),
      console: 'integratedTerminal',
    };
  }
  if (/^(npx|tsx|ts-node)(\.cmd|\.exe)?$/.test(bin)) {
    // A launcher that starts node: js-debug attaches to the node processes it spawns.
    return { ...common, type: 'node', runtimeExecutable: exe, runtimeArgs: rest, console: 'integratedTerminal' };
  }
  return undefined;
}

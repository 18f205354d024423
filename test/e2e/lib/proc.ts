// Child processes for the harness: short commands with captured output, and env hygiene.
import { execFile } from 'node:child_process';

export interface Ran { stdout: string; stderr: string }

export function run(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`.trim()));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * The environment for processes the harness starts: the caller's, minus what would make
 * code-server or a workflow talk to something other than this test's instances (a VS Code
 * terminal's IPC hooks, an OpenTelemetry endpoint, Runlens variables of an outer run).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|OTEL_|RUNLENS_|ELECTRON_|CODE_SERVER_|TRACEPARENT$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

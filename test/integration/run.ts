/**
 * `npm run test:vscode`: the extension-host suite in a VS Code downloaded by
 * @vscode/test-electron (needs network access to update.code.visualstudio.com; on machines
 * without it, the same stories run in real VS Code through test/e2e — `npm run test:e2e`).
 *
 * Builds the extension and bundles the suite, copies the examples into a fresh workspace
 * with a `runlens.workflows` setting, and runs the suite inside the extension host.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';
import { WORKFLOW, EXAMPLE } from '../scenario';

const REPO = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  execFileSync(process.execPath, [path.join(REPO, 'esbuild.config.mjs')], { cwd: REPO, stdio: 'inherit' });
  const outDir = path.join(REPO, 'dist', 'integration');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'suite', 'index.ts')],
    outfile: path.join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
  });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-vscode-'));
  fs.cpSync(path.join(REPO, 'examples'), path.join(workspace, 'examples'), {
    recursive: true,
    filter: (s) => !/(\.cache|__pycache__|node_modules)$/.test(s),
  });
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      { 'runlens.workflows': [{ name: WORKFLOW, command: 'python3', args: [EXAMPLE] }], 'runlens.collector.port': 0 },
      null,
      2,
    ),
  );
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-vscode-user-'));
  try {
    await runTests({
      version: process.env.RUNLENS_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: REPO,
      extensionTestsPath: path.join(outDir, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userData}`],
      extensionTestsEnv: { RUNLENS_TEST_WORKSPACE: workspace },
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`test:vscode failed: ${(err as Error).message ?? err}`);
  process.exit(1);
});

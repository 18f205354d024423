// Build the extension, package it as a .vsix with @vscode/vsce, and install it into an
// extensions folder with code-server's own installer — the path a user's install takes.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, codeServerEntry } from './paths';
import { cleanEnv, run } from './proc';

interface Manifest {
  name: string;
  publisher: string;
  version: string;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

export function extensionId(dir: string): string {
  const m = readManifest(dir);
  return `${m.publisher}.${m.name}`.toLowerCase();
}

let built: Promise<void> | undefined;

/**
 * The extension under test: the repository, or RUNLENS_E2E_EXTENSION_DIR — an already built
 * copy (used to check that a deliberately broken extension makes the stories fail).
 */
export const EXTENSION_DIR = process.env.RUNLENS_E2E_EXTENSION_DIR ? path.resolve(process.env.RUNLENS_E2E_EXTENSION_DIR) : REPO_ROOT;

/** `node esbuild.config.mjs` once per test process (not for RUNLENS_E2E_EXTENSION_DIR). */
export function buildExtension(): Promise<void> {
  if (EXTENSION_DIR !== REPO_ROOT) {
    if (!existsSync(path.join(EXTENSION_DIR, 'dist', 'extension.js'))) throw new Error(`no dist/extension.js in ${EXTENSION_DIR}`);
    return Promise.resolve();
  }
  built ??= run(process.execPath, ['esbuild.config.mjs'], { cwd: REPO_ROOT }).then(() => {
    const main = path.join(REPO_ROOT, 'dist', 'extension.js');
    if (!existsSync(main)) {
      throw new Error(`the build produced no ${path.relative(REPO_ROOT, main)} (is src/extension/main.ts there?)`);
    }
  });
  return built;
}

/**
 * Files vsce would pack when the folder has no .vscodeignore: without one it takes the whole
 * folder (sources, tests, the e2e cache), so we stage the runtime files instead.
 */
const STAGED_WHEN_NO_VSCODEIGNORE = [
  'package.json',
  'dist',
  'media',
  'README.md',
  'LICENSE',
  'LICENSE.md',
  'CHANGELOG.md',
  'package.nls.json',
];

/** Packages `dir` into a .vsix in `outDir` and returns its path. */
export async function packageVsix(dir: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  let from = dir;
  if (!existsSync(path.join(dir, '.vscodeignore')) && existsSync(path.join(dir, 'src'))) {
    from = path.join(outDir, 'stage');
    rmSync(from, { recursive: true, force: true });
    for (const name of STAGED_WHEN_NO_VSCODEIGNORE) {
      if (existsSync(path.join(dir, name))) cpSync(path.join(dir, name), path.join(from, name), { recursive: true });
    }
  }
  const m = readManifest(dir);
  const out = path.join(outDir, `${m.name}-${m.version}.vsix`);
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  await run(
    process.execPath,
    [
      vsce,
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '--allow-star-activation',
      // Without a `repository` in package.json vsce refuses relative links in README.md; the
      // test install never shows them, so any base will do.
      '--baseContentUrl',
      'https://runlens.invalid/',
      '--baseImagesUrl',
      'https://runlens.invalid/',
      '--out',
      out,
    ],
    { cwd: from, env: cleanEnv(), timeoutMs: 120_000 },
  );
  return out;
}

/** Installs a .vsix into `extensionsDir` and checks that it landed there. */
export async function installVsix(vsix: string, extensionsDir: string, userDataDir: string, id: string): Promise<void> {
  mkdirSync(extensionsDir, { recursive: true });
  const xdg = path.join(userDataDir, '..', 'xdg');
  await run(
    process.execPath,
    [codeServerEntry(), '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'],
    { cwd: REPO_ROOT, env: cleanEnv({ XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg }), timeoutMs: 120_000 },
  );
  const installed = readdirSync(extensionsDir).filter((n) => n.toLowerCase().startsWith(`${id}-`));
  if (installed.length === 0) {
    throw new Error(`${id} is not in ${extensionsDir} after --install-extension (found: ${readdirSync(extensionsDir).join(', ')})`);
  }
}

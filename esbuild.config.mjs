// Builds the bundles: the extension host (node, `vscode` external), its store thread, the
// `runlens` CLI (node), and the timeline webview (browser). sql.js's wasm is copied next to
// the node bundles, which load it from their own folder.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// zod's classic API re-exports every locale (`z.locales`, ~250 KB minified) though only the
// English messages it configures by default are used: keep that one, drop the rest.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'en.js') } : undefined,
    );
  },
};

const common = {
  bundle: true,
  plugins: [zodEnglishOnly],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const nodeTargets = [
  { in: 'src/extension/main.ts', out: 'extension' },
  // The extension's store thread (worker_threads): the store, the collector, imports, snapshots.
  { in: 'src/core/store/worker.ts', out: 'storeWorker' },
  { in: 'src/cli/main.ts', out: 'cli' },
  // `runlens mcp` only: the MCP SDK stays out of every other command's start-up (loaded from the CLI's folder).
  { in: 'src/core/agent/mcp.ts', out: 'mcp' },
  // The team store's thread (PostgreSQL connections), started by the extension and the CLI when a postgres:// database is used.
  { in: 'src/core/store/pg/thread.ts', out: 'pgWorker' },
].filter((e) => existsSync(e.in));

const builds = [];
if (nodeTargets.length) {
  builds.push({
    ...common,
    entryPoints: nodeTargets,
    outdir: 'dist',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // pg's optional native binding (pg-native) is never used: only the JavaScript client.
    external: ['vscode', 'pg-native'],
    // ES modules bundled into CommonJS (fdir, under tinyglobby, calls createRequire(import.meta.url)):
    // import.meta.url is this bundle's own file URL.
    define: { 'import.meta.url': '__runlensImportMetaUrl' },
    banner: { js: "const __runlensImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
  });
}
if (existsSync('webview/main.ts')) {
  builds.push({
    ...common,
    entryPoints: [{ in: 'webview/main.ts', out: 'timeline' }],
    outdir: 'dist/webview',
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
  });
}

mkdirSync('dist', { recursive: true });
copyFileSync(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'), 'dist/sql-wasm.wasm');

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('[esbuild] watching');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

// ESLint: typescript-eslint's recommended rules plus the layer directions of ARCHITECTURE.md
// ("what may import what"). Run by `npm run lint` (and so by `npm test`).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** A `no-restricted-imports` pattern group forbidding imports that resolve into `folders`. */
const into = (folders, message) => ({ group: folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]), message });

const vscode = { name: 'vscode', message: 'This layer never imports vscode (ARCHITECTURE.md: layers).' };
const builtins = nodeBuiltins.map((name) => ({ name, message: 'Runs in the browser too: no node built-ins.' }));

/**
 * The modules of src/extension that load in plain node (unit tests, the browser harness):
 * no value import of vscode. Type-only imports are fine (erased at build time). The
 * architecture test requires each of them without vscode, which also covers what they import.
 */
export const VSCODE_FREE = [
  'src/extension/commands/table.ts',
  'src/extension/configBounds.ts',
  'src/extension/hover.ts',
  'src/extension/markdown.ts',
  'src/extension/openPolicy.ts',
  'src/extension/rerun.ts',
  'src/extension/runDiff/html.ts',
  'src/extension/runTree.ts',
  'src/extension/sourceIndex.ts',
  'src/extension/storeArrival.ts',
  'src/extension/timeline/html.ts',
  'src/extension/timeline/order.ts',
  'src/extension/timeline/schemas.ts',
  'src/extension/timeline/session.ts',
  'src/extension/timeline/sessionFeed.ts',
  'src/extension/timeline/sessionPorts.ts',
  'src/extension/timeline/signals.ts',
  'src/extension/timeline/views.ts',
  'src/extension/treeElements.ts',
  'src/extension/treeItems.ts',
  'src/extension/treeLogs.ts',
  'src/extension/treeFilter.ts',
  'src/extension/treeModel.ts',
  'src/extension/treeRuns.ts',
  'src/extension/treeSources.ts',
  'src/extension/treeOrigin.ts',
  'src/extension/teamConnection.ts',
  'src/extension/stores.ts',
  'src/extension/workflowSources.ts',
];

/** One layer's rule: the names and folder patterns it may not import. */
const layer = (files, { paths = [], patterns = [], allowTypeImports = false }) => ({
  files,
  rules: {
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: paths.map((p) => ({ ...p, allowTypeImports })),
        patterns: patterns.map((p) => ({ ...p, allowTypeImports })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.e2e-cache/**',
      'test-results/**',
      'bench/.cache/**',
      '.vscode-test/**',
      '.runlens/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        // node and the browser: the files that use each are split by tsconfig, which checks them.
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      // TypeScript checks undefined names (with the right lib per tsconfig).
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // CommonJS scripts (the bin, mocha reporters, preloads, a probe extension) require, not import.
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // ---- Layers (ARCHITECTURE.md). Patterns match the specifier, so `../extension/x` and
  // `../../webview/y` are caught whatever the depth.
  layer(['src/core/**/*.ts'], {
    paths: [vscode],
    patterns: [into(['extension', 'cli', 'webview'], 'The core never imports the extension, the CLI or the webview.')],
  }),
  layer(['src/shared/**/*.ts', 'webview/**/*.ts'], {
    paths: [vscode, ...builtins],
    patterns: [into(['core', 'extension', 'cli'], 'Shared code and the webview import only src/shared.')],
  }),
  layer(['src/cli/**/*.ts'], {
    paths: [vscode],
    patterns: [into(['extension', 'webview'], 'The CLI never imports the extension or the webview.')],
  }),
  layer(['src/extension/**/*.ts'], {
    patterns: [into(['cli', 'webview'], 'The extension never imports the CLI or the webview.')],
  }),
  layer(VSCODE_FREE, {
    paths: [{ name: 'vscode', message: 'This module loads without vscode (eslint.config.mjs VSCODE_FREE): type imports only.' }],
    patterns: [into(['cli', 'webview'], 'The extension never imports the CLI or the webview.')],
    allowTypeImports: true,
  }),
);

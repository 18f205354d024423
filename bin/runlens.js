#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (run automatically by `npm ci` / `npm install`).
const path = require('node:path');
let cli;
try {
  cli = require(path.join(__dirname, '..', 'dist', 'cli.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('runlens: dist/cli.js is missing; run `npm run build` in the Runlens folder first.\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Exit once output is flushed, even if a stray handle would keep node alive.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});

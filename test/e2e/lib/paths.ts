// Where the harness finds things. Everything is relative to the repository root so a fresh
// clone (CI) works the same as the shared checkout.
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CACHE_DIR = process.env.RUNLENS_E2E_CACHE ?? path.join(REPO_ROOT, '.e2e-cache');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');
export const CHROMIUM = process.env.RUNLENS_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'e2e');

export function codeServerEntry(): string {
  const entry = path.join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed at ${entry}: run \`bash test/e2e/setup\` first`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run \`bash test/e2e/setup\` first`);
  }
  return entry;
}

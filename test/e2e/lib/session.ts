// One end-to-end session: fresh folders, the extension(s) installed from .vsix, code-server
// on a free loopback port, and headless Debian Chromium driven by Playwright.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CodeServer } from './codeServer';
import { extensionId, installVsix, packageVsix } from './extension';
import { CHROMIUM, RESULTS_DIR } from './paths';
import { Workbench } from './workbench';
import { makeWorkspace, writeUserSettings, type WorkspaceSpec } from './workspace';

export interface SessionOptions {
  /** Extension folders (with package.json and built code) to package and install. */
  extensions: string[];
  workspace: WorkspaceSpec;
  userSettings?: Record<string, unknown>;
  /** Environment for code-server and so for the extension host. */
  env?: Record<string, string>;
  /** Keep the temp folder after dispose (for debugging): RUNLENS_E2E_KEEP=1 does the same. */
  keep?: boolean;
}

export class Session {
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly home: string,
    readonly workspaceDir: string,
    readonly userDataDir: string,
    readonly server: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly workbench: Workbench,
    private readonly keep: boolean,
  ) {}

  static async start(opts: SessionOptions): Promise<Session> {
    const home = mkdtempSync(path.join(os.tmpdir(), 'runlens-e2e-'));
    const userDataDir = path.join(home, 'user-data');
    const extensionsDir = path.join(home, 'extensions');
    const workspaceDir = makeWorkspace(path.join(home, 'workspace'), opts.workspace);
    writeUserSettings(userDataDir, opts.userSettings ?? {});
    for (const dir of opts.extensions) {
      const vsix = await packageVsix(dir, path.join(home, 'vsix'));
      await installVsix(vsix, extensionsDir, userDataDir, extensionId(dir));
    }
    const server = await CodeServer.start({ home, extensionsDir, userDataDir, workspace: workspaceDir, env: opts.env });
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(path.join(home, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1600, height: 1000 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-sync',
          '--disable-quic',
          '--disable-dev-shm-usage',
        ],
      });
      const page = context.pages()[0] ?? (await context.newPage());
      const session = new Session(home, workspaceDir, userDataDir, server, context, page, new Workbench(page), Boolean(opts.keep || process.env.RUNLENS_E2E_KEEP));
      page.on('console', (m) => {
        if (m.type() === 'error') session.consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => session.consoleErrors.push(`pageerror: ${e.message}`));
      await page.goto(server.workbenchUrl);
      await session.workbench.waitForReady();
      return session;
    } catch (err) {
      await context?.close().catch(() => undefined);
      await server.stop();
      throw err;
    }
  }

  /** Path of a file inside the workspace copy. */
  ws(...parts: string[]): string {
    return path.join(this.workspaceDir, ...parts);
  }

  /** A screenshot kept as an artifact (README material), in test-results/e2e/screenshots. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(RESULTS_DIR, 'screenshots', `${name}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * After a failure: a screenshot, the server's output, the browser console errors, the
   * notifications on screen, and code-server's logs folder (the extension host's log and the
   * extension's own LogOutputChannel files, e.g. exthost1/<ext>/Runlens.log) into
   * test-results/e2e/<name>/.
   */
  async saveFailureArtifacts(name: string): Promise<string> {
    const dir = path.join(RESULTS_DIR, name.replace(/[^\w.-]+/g, '_').slice(0, 120));
    mkdirSync(dir, { recursive: true });
    await this.page.screenshot({ path: path.join(dir, 'screenshot.png') }).catch(() => undefined);
    writeFileSync(path.join(dir, 'code-server.log'), this.server.log);
    writeFileSync(path.join(dir, 'browser-console-errors.log'), this.consoleErrors.join('\n'));
    const notes = await this.workbench.notifications().catch(() => [] as string[]);
    writeFileSync(path.join(dir, 'notifications.txt'), notes.join('\n'));
    const logs = path.join(this.userDataDir, 'logs');
    if (existsSync(logs)) cpSync(logs, path.join(dir, 'logs'), { recursive: true });
    return dir;
  }

  async dispose(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.server.stop();
    if (!this.keep) rmSync(this.home, { recursive: true, force: true, maxRetries: 3 });
  }
}

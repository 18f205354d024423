// One end-to-end session: fresh folders, the extension(s) installed from .vsix, code-server
// on a free loopback port, and headless Debian Chromium driven by Playwright.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CodeServer } from './codeServer';
import { extensionId, installVsix, packageVsix } from './extension';
import { CHROMIUM, RESULTS_DIR } from './paths';
import { processGroup } from './proc';
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
  private constructor(
    readonly home: string,
    readonly workspaceDir: string,
    readonly userDataDir: string,
    readonly server: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly workbench: Workbench,
    readonly consoleErrors: string[],
    private readonly keep: boolean,
    /** Where the start-up time went, for the log. */
    readonly startTimings: string,
  ) {}

  /**
   * Starts everything. When the workbench does not come up, what is known so far (a
   * screenshot, the server's output, code-server's logs folder) is saved into
   * `failureDir` before the error is thrown.
   */
  static async start(opts: SessionOptions, failureDir?: string): Promise<Session> {
    const home = mkdtempSync(path.join(os.tmpdir(), 'runlens-e2e-'));
    const keep = Boolean(opts.keep || process.env.RUNLENS_E2E_KEEP);
    const userDataDir = path.join(home, 'user-data');
    const extensionsDir = path.join(home, 'extensions');
    let server: CodeServer | undefined;
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    const consoleErrors: string[] = [];
    try {
      const workspaceDir = makeWorkspace(path.join(home, 'workspace'), opts.workspace);
      writeUserSettings(userDataDir, opts.userSettings ?? {});
      let t = Date.now();
      const lap = (): string => {
        const s = ((Date.now() - t) / 1000).toFixed(1);
        t = Date.now();
        return s;
      };
      for (const dir of opts.extensions) {
        const vsix = await packageVsix(dir, path.join(home, 'vsix'));
        await installVsix(vsix, extensionsDir, userDataDir, extensionId(dir));
      }
      const timings = [`package+install ${lap()} s`];
      server = await CodeServer.start({ home, extensionsDir, userDataDir, workspace: workspaceDir, env: opts.env });
      timings.push(`code-server listening ${lap()} s`);
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
      page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      await page.goto(server.workbenchUrl);
      const workbench = new Workbench(page);
      await workbench.waitForReady();
      timings.push(`browser + workbench ready ${lap()} s`);
      return new Session(home, workspaceDir, userDataDir, server, context, page, workbench, consoleErrors, keep, timings.join(', '));
    } catch (err) {
      if (failureDir) {
        mkdirSync(failureDir, { recursive: true });
        await page?.screenshot({ path: path.join(failureDir, 'screenshot.png') }).catch(() => undefined);
        if (server) writeFileSync(path.join(failureDir, 'code-server.log'), server.log);
        writeFileSync(path.join(failureDir, 'browser-console-errors.log'), consoleErrors.join('\n'));
        const logs = path.join(userDataDir, 'logs');
        if (existsSync(logs)) cpSync(logs, path.join(failureDir, 'logs'), { recursive: true });
      }
      await context?.close().catch(() => undefined);
      await server?.stop();
      if (!keep) rmSync(home, { recursive: true, force: true, maxRetries: 3 });
      throw err;
    }
  }

  /**
   * Log files the extension `id` wrote through its LogOutputChannel(s), e.g.
   * `<user-data>/logs/<ts>/exthost1/runlens.runlens/Runlens.log` (code-server runs the extension
   * host on the server, so they are under the server's user-data folder).
   */
  extensionLogFiles(id: string): string[] {
    const logs = path.join(this.userDataDir, 'logs');
    if (!existsSync(logs)) return [];
    const out: string[] = [];
    for (const session of readdirSync(logs)) {
      const sessionDir = path.join(logs, session);
      if (!statSync(sessionDir).isDirectory()) continue;
      for (const host of readdirSync(sessionDir).filter((n) => n.startsWith('exthost'))) {
        const dir = path.join(sessionDir, host, id);
        if (existsSync(dir))
          out.push(
            ...readdirSync(dir)
              .filter((n) => n.endsWith('.log'))
              .map((n) => path.join(dir, n)),
          );
      }
    }
    return out;
  }

  /**
   * The extension host process, the newest when a reload started another (code-server runs it
   * on the server, in the server's process group); undefined when there is none.
   */
  extensionHostPid(): number | undefined {
    const group = this.server.pid === undefined ? [] : processGroup(this.server.pid);
    const hosts = group.filter((p) => p.cmdline.includes('--type=extensionHost')).sort((a, b) => b.started - a.started);
    return hosts[0]?.pid;
  }

  /**
   * The newest extension host's own log (`logs/<ts>/exthostN/remoteexthost.log`: its start,
   * each extension's activation and why), '' before there is one.
   */
  extensionHostLog(): string {
    const logs = path.join(this.userDataDir, 'logs');
    if (!existsSync(logs)) return '';
    // Newest: the latest logs/<timestamp> folder, then the highest exthostN in it.
    const files: Array<{ file: string; session: string; n: number }> = [];
    for (const session of readdirSync(logs)) {
      const sessionDir = path.join(logs, session);
      if (!statSync(sessionDir).isDirectory()) continue;
      for (const host of readdirSync(sessionDir).filter((n) => /^exthost\d+$/.test(n))) {
        const file = path.join(sessionDir, host, 'remoteexthost.log');
        if (existsSync(file)) files.push({ file, session, n: Number(host.slice('exthost'.length)) });
      }
    }
    const newest = files.sort((a, b) => b.session.localeCompare(a.session) || b.n - a.n)[0];
    return newest ? readFileSync(newest.file, 'utf8') : '';
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

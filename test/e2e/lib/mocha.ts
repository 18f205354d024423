// Mocha wiring: one session per `describe` (the stories in it run in order on one workbench),
// artifacts saved for every failed test. A session that cannot start (say the extension does
// not build) makes every story in the describe fail with that reason — never a silent skip.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from './paths';
import { Session, type SessionOptions } from './session';

export interface SessionRef {
  readonly session: Session;
}

export function useSession(options: () => SessionOptions | Promise<SessionOptions>): SessionRef {
  let current: Session | undefined;
  let startError: Error | undefined;
  const ref: SessionRef = {
    get session(): Session {
      if (!current) throw new Error(`the E2E session did not start: ${startError?.message ?? 'unknown reason'}`);
      return current;
    },
  };
  before(async function () {
    const started = Date.now();
    const name = (this.test?.parent?.fullTitle() ?? 'session').replace(/[^\w.-]+/g, '_').slice(0, 120);
    const failureDir = path.join(RESULTS_DIR, `${name}.start-failure`);
    try {
      current = await Session.start(await options(), failureDir);
      console.log(`      (session up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${current.startTimings})`);
    } catch (err) {
      startError = err instanceof Error ? err : new Error(String(err));
      mkdirSync(failureDir, { recursive: true });
      writeFileSync(path.join(failureDir, 'error.txt'), startError.stack ?? startError.message);
      console.log(
        `      (session failed to start: ${startError.message.split('\n')[0]}; artifacts: ${path.relative(process.cwd(), failureDir)})`,
      );
    }
  });
  afterEach(async function () {
    const test = this.currentTest;
    if (current && test?.state === 'failed') {
      const dir = await current.saveFailureArtifacts(test.fullTitle());
      console.log(`      artifacts: ${path.relative(process.cwd(), dir)}`);
    }
  });
  after(async function () {
    await current?.dispose();
  });
  return ref;
}

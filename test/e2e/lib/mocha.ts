// Mocha wiring: one session per `describe` (the stories in it run in order on one workbench),
// artifacts saved for every failed test and for a failed start.
import { Session, type SessionOptions } from './session';

export interface SessionRef {
  readonly session: Session;
}

export function useSession(options: () => SessionOptions | Promise<SessionOptions>): SessionRef {
  let current: Session | undefined;
  let startError: unknown;
  const ref: SessionRef = {
    get session(): Session {
      if (!current) throw new Error(`the E2E session did not start: ${(startError as Error | undefined)?.message ?? 'unknown'}`);
      return current;
    },
  };
  before(async function () {
    const started = Date.now();
    try {
      current = await Session.start(await options());
    } catch (err) {
      startError = err;
      throw err;
    }
    console.log(`      (session up in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });
  afterEach(async function () {
    const test = this.currentTest;
    if (current && test?.state === 'failed') {
      const dir = await current.saveFailureArtifacts(test.fullTitle());
      console.log(`      artifacts: ${dir}`);
    }
  });
  after(async function () {
    await current?.dispose();
  });
  return ref;
}

/**
 * Proof that a stored run was launched on this machine, by this user, through Runlens.
 *
 * Everything in the store can be written by someone else (a request on the loopback port,
 * an imported file, a `.runlens/` folder that came with a cloned repository), so a run's
 * `command` is only a record, never something to execute. A run that Runlens launches itself
 * carries an HMAC over its id, command, cwd and workflow, keyed by a secret that lives
 * outside every workspace (`~/.config/runlens/launch.key`, mode 0600). Re-run and Debug
 * from Here start a stored command only when that signature verifies with this user's key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface LaunchFacts {
  id: string;
  command?: readonly string[];
  cwd?: string;
  workflow?: string;
}

/** Where this user's launch key lives: $RUNLENS_KEY_FILE, else the user's config folder. */
function userKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNLENS_KEY_FILE) return path.resolve(env.RUNLENS_KEY_FILE);
  const base =
    process.platform === 'win32'
      ? env.APPDATA || path.join(os.homedir(), 'AppData', 'Roaming')
      : env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'runlens', 'launch.key');
}

const keys = new Map<string, Buffer>();

/**
 * This user's key, created (32 random bytes, 0600 in a 0700 folder) on first use. A key
 * file that other users can read or write is not trusted: it is replaced.
 */
export function userKey(file: string = userKeyPath()): Buffer {
  const cached = keys.get(file);
  if (cached) return cached;
  let key: Buffer | undefined;
  try {
    const st = fs.lstatSync(file);
    const private_ =
      process.platform === 'win32' || ((st.mode & 0o077) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid()));
    if (st.isFile() && private_) {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{64}$/.test(text)) key = Buffer.from(text, 'hex');
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!key) {
    key = randomBytes(32);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    try {
      // Another process may have created one meanwhile: theirs wins, so both sign alike.
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = fs.lstatSync(file);
      const text = fs.readFileSync(file, 'utf8').trim();
      if (st.isFile() && (st.mode & 0o077) === 0 && /^[0-9a-f]{64}$/.test(text)) key = Buffer.from(text, 'hex');
      else fs.renameSync(tmp, file); // an unsafe key file: replace it
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  keys.set(file, key);
  return key;
}

function payload(run: LaunchFacts): string {
  return JSON.stringify(['runlens-launch-v1', run.id, run.command ?? null, run.cwd ?? null, run.workflow ?? null]);
}

/** The signature Runlens stores with a run it launches. */
export function signLaunch(run: LaunchFacts, key: Buffer = userKey()): string {
  return createHmac('sha256', key).update(payload(run)).digest('hex');
}

/** True only for a run this user's Runlens launched with exactly this id, command, cwd and workflow. */
function verifyLaunch(run: LaunchFacts & { launchSignature?: string }, key?: Buffer): boolean {
  const sig = run.launchSignature;
  if (typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig) || !run.command?.length) return false;
  let k: Buffer;
  try {
    k = key ?? userKey();
  } catch {
    return false;
  }
  const want = Buffer.from(signLaunch(run, k), 'hex');
  return timingSafeEqual(want, Buffer.from(sig, 'hex'));
}

/** Why a stored run offers no re-run (for the UI), or undefined when it may be re-run. */
export function rerunRefusal(run: LaunchFacts & { launchSignature?: string; source?: string }): string | undefined {
  if (run.source === 'otlp') return 'it was attached over OpenTelemetry, not launched, so there is no command to run again';
  if (run.source === 'import') return 'it was imported from a file; its command is a record of another machine, not something to run';
  if (!run.command?.length) return 'it has no command';
  if (!verifyLaunch(run))
    return 'it was not launched by Runlens on this machine (its command came with the trace data, so it is shown but never run)';
  return undefined;
}

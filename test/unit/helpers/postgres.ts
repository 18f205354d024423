/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries (initdb + pg_ctl), a
 * fresh data directory under the system temp folder, a free port on 127.0.0.1, run as the
 * `postgres` system user when this process is root. One server per test process (started on
 * first use, stopped at exit); each caller gets its own database and role, so tests never
 * see each other's rows. No mock: the store under test talks to this server over TCP.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  /** postgres://user@127.0.0.1:port/db — no password in it (as the setting holds it). */
  url: string;
  password: string;
  /** The same URL with the password in it (for tools that take one string). */
  urlWithPassword: string;
  /** A superuser URL on the same server (to kill connections, look at catalogs). */
  adminUrl: string;
}

interface Server {
  port: number;
  dir: string;
  bin: string;
  adminPassword: string;
}

let server: Server | undefined;

/** The newest installed server's binaries, or undefined (then `.ci/run` / test/e2e/setup installs `postgresql`). */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Run a server binary as the `postgres` user when root (initdb refuses root), else as ourselves. */
function pgExec(bin: string, tool: string, args: string[]): string {
  const file = path.join(bin, tool);
  // The server pg_ctl starts inherits no pipe of ours (else spawnSync waits for it to exit):
  // output goes to a file, read back on failure.
  const outFile = path.join(os.tmpdir(), `runlens-pg-${process.pid}-${tool}.out`);
  const fd = fs.openSync(outFile, 'w');
  const stdio: ['ignore', number, number] = ['ignore', fd, fd];
  const out = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio }) : spawnSync(file, args, { stdio });
  fs.closeSync(fd);
  const text = fs.readFileSync(outFile, 'utf8');
  fs.rmSync(outFile, { force: true });
  if (out.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${out.status}): ${text}`);
  return text;
}

/** The test setup installs Debian's server when it is missing and this is root with apt (CI, a fresh machine). */
function install(): void {
  if (!asRoot || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'ignore', env });
}

async function start(): Promise<Server> {
  let bin = postgresBin();
  if (!bin) {
    install();
    bin = postgresBin();
  }
  if (!bin)
    throw new Error(
      'PostgreSQL is not installed: run `bash test/e2e/setup` (installs Debian postgresql) or `apt-get install -y postgresql`',
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-pg-'));
  const adminPassword = crypto.randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, adminPassword);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  pgExec(bin, 'initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off', '-c max_connections=200'].join(' ');
  pgExec(bin, 'pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  const s = { port, dir, bin, adminPassword };
  process.once('exit', () => stopServer(s));
  return s;
}

function stopServer(s: Server): void {
  try {
    pgExec(s.bin, 'pg_ctl', ['-D', path.join(s.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } catch {
    /* already stopped */
  }
  fs.rmSync(s.dir, { recursive: true, force: true });
}

let dbCount = 0;

/** A new empty database with its own login role on the shared test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  server ??= await start();
  const name = `runlens_t${process.pid}_${++dbCount}`;
  const password = crypto.randomBytes(12).toString('hex');
  const admin = `postgres://postgres:${server.adminPassword}@127.0.0.1:${server.port}/postgres`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await c.end();
  }
  const hostPart = `127.0.0.1:${server.port}/${name}`;
  return {
    url: `postgres://${name}@${hostPart}`,
    password,
    urlWithPassword: `postgres://${name}:${password}@${hostPart}`,
    adminUrl: `postgres://postgres:${server.adminPassword}@127.0.0.1:${server.port}/${name}`,
  };
}

/** Stop and start the shared server on the same port and data (what a database restart looks like to clients). */
export function restartServer(): void {
  if (!server) throw new Error('no server started');
  const data = path.join(server.dir, 'data');
  pgExec(server.bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'restart']);
}

// Starts a Backbone server on a fresh database for one test file, and tears it
// all down afterwards.
//
//   BACKBONE_BIN            path to the backbone binary (default: ../target/debug/backbone)
//   BACKBONE_E2E_DATABASE   "sqlite" (default) or "postgres"
//   BACKBONE_E2E_PG_URL     PostgreSQL server to create the database on
//                           (default: postgres://postgres@127.0.0.1:5432/)

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const E2E_DIR = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_BIN = fileURLToPath(new URL('../../target/debug/backbone', import.meta.url));

/** The slug of the demo initiative the tests work in. */
export const INITIATIVE = 'kiryat-malachi';

function randomToken(bytes = 6) {
  return randomBytes(bytes).toString('hex');
}

/** A port nobody listens on right now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run the binary to completion; reject with its output when it fails. */
function runBin(bin, args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`\`backbone ${args.join(' ')}\` exited with ${code}:\n${out}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** The environment for the binary, without variables that would override our flags. */
function cliEnv() {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const k of [
    'BACKBONE_DATABASE_URL',
    'BACKBONE_DATA_DIR',
    'BACKBONE_ADDR',
    'BACKBONE_NO_DEMO',
    'BACKBONE_SECURE_COOKIES',
  ]) {
    delete env[k];
  }
  return env;
}

async function psql(serverUrl, sql) {
  const u = new URL(serverUrl);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'),
    '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql];
  const env = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  try {
    const { stdout } = await execFileP('psql', args, { env });
    return stdout;
  } catch (e) {
    throw new Error(`psql ${JSON.stringify(sql)} failed: ${e.stderr || e.message}`);
  }
}

/** Make an empty database; returns { url, cleanup, describe }. */
async function freshDatabase() {
  const engine = (process.env.BACKBONE_E2E_DATABASE || 'sqlite').toLowerCase();
  if (engine === 'postgres' || engine === 'postgresql') {
    const server = process.env.BACKBONE_E2E_PG_URL || 'postgres://postgres@127.0.0.1:5432/';
    const name = `backbone_e2e_${randomToken()}`;
    await psql(server, `CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      engine: 'postgres',
      url: url.toString(),
      cleanup: () => psql(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  if (engine !== 'sqlite') {
    throw new Error(`BACKBONE_E2E_DATABASE must be "sqlite" or "postgres", not ${JSON.stringify(engine)}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'backbone-e2e-'));
  return {
    engine: 'sqlite',
    url: `sqlite://${join(dir, 'backbone.db')}`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function waitForHealth(base, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was healthy`);
    try {
      const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`GET ${base}/healthz did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Fresh database + demo data + a coordinator of kiryat-malachi + a running server.
 * Returns { base, email, password, engine, log(), createUser(), stop() }.
 */
export async function startBackbone() {
  const bin = process.env.BACKBONE_BIN || DEFAULT_BIN;
  if (!existsSync(bin)) {
    throw new Error(`backbone binary not found at ${bin}: run \`cargo build -p backbone\` in the workspace or set BACKBONE_BIN`);
  }
  const db = await freshDatabase();
  let child;
  let logText = '';
  try {
    await runBin(bin, ['--database', db.url, 'demo']);
    const email = `coordinator-${randomToken(4)}@example.org`;
    const password = `E2e-${randomToken(12)}-pw!`;
    await runBin(bin, ['--database', db.url, 'user', 'create', '--email', email, '--name', 'E2E Coordinator',
      '--role', `${INITIATIVE}:coordinator`], { input: `${password}\n` });

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // The server's own folder (mail written without SMTP lands there), removed at the end.
    const dataDir = await mkdtemp(join(tmpdir(), 'backbone-e2e-data-'));
    db.dataDir = dataDir;
    child = spawn(bin, ['--database', db.url, '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--no-demo', 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cliEnv(),
    });
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not announce itself within 30 s:\n${logText}`)), 30_000);
      child.on('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`the server exited early (code ${code}, signal ${sig}):\n${logText}`));
      });
      child.stdout.on('data', (d) => {
        logText += d;
        if (logText.includes('Backbone is serving on http://')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stderr.on('data', (d) => (logText += d));
    await ready;
    await waitForHealth(base, child, 15_000);

    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        const timeout = new Promise((res) => setTimeout(() => res('timeout'), 10_000));
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          console.warn('# the server did not stop within 10 s of SIGTERM; killing it');
          child.kill('SIGKILL');
          await exited;
        }
      }
      await db.cleanup();
      await rm(db.dataDir, { recursive: true, force: true });
    };
    /**
     * Another account with one role in an initiative (kiryat-malachi unless
     * `initiative` names another), made with
     * `backbone user create` like the coordinator's. Returns { email, password, name }.
     */
    const createUser = async ({ name, role, initiative = INITIATIVE }) => {
      const userEmail = `${role.replace(/_/g, '-')}-${randomToken(4)}@example.org`;
      const userPassword = `E2e-${randomToken(12)}-pw!`;
      await runBin(bin, ['--database', db.url, 'user', 'create', '--email', userEmail, '--name', name,
        '--role', `${initiative}:${role}`], { input: `${userPassword}\n` });
      return { email: userEmail, password: userPassword, name };
    };
    return { base, email, password, engine: db.engine, databaseUrl: db.url, log: () => logText, createUser, stop };
  } catch (e) {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await db.cleanup().catch(() => {});
    throw e;
  }
}

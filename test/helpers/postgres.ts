// A throw-away PostgreSQL for tests: the server named by WEFT_TEST_POSTGRES_URL, or a private
// cluster in a temp dir, run as the postgres OS user on a free loopback port.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** Creates a fresh, empty database and answers its connection URL. */
  url(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const shared = process.env.WEFT_TEST_POSTGRES_URL;
  return shared !== undefined && shared !== '' ? onSharedServer(shared) : onPrivateCluster();
}

function databaseName(name: string): string {
  const safe = name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return `weft_test_${safe}_${randomBytes(4).toString('hex')}`;
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function onSharedServer(adminUrl: string): TestPostgres {
  const created: string[] = [];
  return {
    async url(name) {
      const db = databaseName(name);
      await createDatabase(adminUrl, db);
      created.push(db);
      return withDatabase(adminUrl, db);
    },
    async stop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        for (const db of created) await client.query(`drop database if exists "${db}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function asPostgres(command: string, ...args: string[]): Promise<void> {
  await run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, command), ...args]);
}

async function onPrivateCluster(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pg-'));
  const data = path.join(dir, 'data');
  const stopCluster = async () => {
    if (fs.existsSync(path.join(data, 'postmaster.pid')))
      await asPostgres('pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { uid, gid } = await postgresUser();
    fs.chownSync(dir, uid, gid);
    // --no-sync only skips flushing initdb's files; the server itself runs with fsync on.
    await asPostgres('initdb', '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8');
    const port = await freePort();
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=on`;
    await asPostgres(
      'pg_ctl',
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    );
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      async url(name) {
        const db = databaseName(name);
        await createDatabase(adminUrl, db);
        return withDatabase(adminUrl, db);
      },
      stop: stopCluster,
    };
  } catch (err) {
    await stopCluster();
    throw err;
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

// A client that asks for the change stream and hangs up before the server answers (a cell whose silence
// watch gave up on a busy server, or anyone with a token doing it on purpose) must leave nothing behind:
// no heartbeat timer and no hub follower for a connection that is gone. Left behind, they pile up with
// every such request and keep the server from ever exiting on SIGTERM.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';

const databases = testDatabases();
after(() => databases.stop());

const ABANDONED = 50;

/** Sends GET /v1/watch and closes the connection at once, without waiting for any answer. */
function abandonWatch(server: TestServer): Promise<void> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: server.caPem }, () => {
      socket.end(
        `GET /v1/watch?since=0 HTTP/1.1\r\nhost: ${url.host}\r\n` +
          `authorization: Bearer ${server.adminToken}\r\n\r\n`,
      );
    });
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

for (const kind of DATABASE_KINDS) {
  describe(`abandoned change-stream requests on ${kind}`, () => {
    const servers: TestServer[] = [];
    after(async () => {
      for (const s of servers) await s.kill();
    });

    test(
      'a server that got watch requests whose clients hung up at once still stops on SIGTERM',
      {
        timeout: 120_000,
      },
      async () => {
        const database = await databases.fresh(kind, 'abandoned');
        const server = await startServer(database === undefined ? {} : { database });
        servers.push(server);
        await Promise.all(Array.from({ length: ABANDONED }, () => abandonWatch(server)));
        // The server still answers: the abandoned requests did not wedge it.
        assert.equal((await server.api('GET', '/v1/info')).status, 200);
        await server.stop();
      },
    );
  });
}

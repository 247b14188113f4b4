import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy, type Credentials } from '../../../src/proxy/index.js';
import { loopbackListeners, newCa, serverCredentials, startBackend } from './fixtures.js';

const ROUTE = 'app-b.apps.internal';
const INSTANCES = 200;

/** The subject CN and names of the certificate the listener presents for `servername`. */
function served(port: number, servername: string, ca: Ca): Promise<{ cn: string; names: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca: ca.certPem }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ cn: String(cert.subject.CN), names: cert.subjectaltname ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}

async function rssKiB(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

test('200 instances each serve their own certificate from one proxy; reports its RSS per instance', async (t) => {
  const ca = newCa();
  const backend = await startBackend();
  const proxy = new TlsProxy({ listeners: await loopbackListeners(INSTANCES) });
  const ports = new Map<string, number>();
  const credentials: Credentials[] = [];
  for (let i = 0; i < INSTANCES; i++)
    credentials.push(serverCredentials(ca, [ROUTE, `${i}.${ROUTE}`], `instance-${i}`));
  const addRange = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const guid = `instance-${i}`;
      const { port } = await proxy.addInstance({
        guid,
        listen: { host: '127.0.0.1', port: 0 },
        backend: { host: '127.0.0.1', port: backend.port },
        credentials: credentials[i]!,
      });
      ports.set(guid, port);
    }
  };
  try {
    await addRange(0, 10);
    const rssAt10 = await rssKiB(proxy.enginePid);
    await addRange(10, INSTANCES);
    const rssAtAll = await rssKiB(proxy.enginePid);
    let i = 0;
    for (const [guid, port] of ports) {
      const cert = await served(port, `${i}.${ROUTE}`, ca);
      assert.equal(cert.cn, guid);
      assert.match(cert.names, new RegExp(`DNS:${i}\\.${ROUTE.replaceAll('.', '\\.')}`));
      i++;
    }
    t.diagnostic(`HAProxy RSS with 10 instances: ${(rssAt10 / 1024).toFixed(1)} MiB`);
    t.diagnostic(`HAProxy RSS with ${INSTANCES} instances: ${(rssAtAll / 1024).toFixed(1)} MiB`);
    t.diagnostic(`≈ ${((rssAtAll - rssAt10) / (INSTANCES - 10)).toFixed(1)} KiB per added instance`);
  } finally {
    await proxy.close();
    await backend.close();
  }
});

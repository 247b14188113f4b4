import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy, type Credentials } from '../../../src/proxy/index.js';
import { newCa, serverCredentials, startBackend } from './fixtures.js';

const ROUTE = 'app-b.apps.internal';

function servedCommonName(port: number, ca: Ca): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: ROUTE, ca: ca.certPem }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.end();
    });
    socket.on('error', reject);
  });
}

function settledRss(): number {
  // gc is only there under --expose-gc; without it the figures are rougher, not wrong.
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

test('100 instances each serve their own certificate from one proxy; reports RSS per instance', async (t) => {
  const ca = await newCa();
  const backend = await startBackend();
  const proxy = new TlsProxy();
  const ports = new Map<string, number>();
  const credentials: Credentials[] = [];
  for (let i = 0; i < 100; i++)
    credentials.push(await serverCredentials(ca, [ROUTE, `${i}.${ROUTE}`], `instance-${i}`));
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
    const rssAt10 = settledRss();
    await addRange(10, 100);
    const rssAt100 = settledRss();
    for (const [guid, port] of ports) assert.equal(await servedCommonName(port, ca), guid);
    const perInstanceKiB = (rssAt100 - rssAt10) / 90 / 1024;
    t.diagnostic(`RSS with 10 instances: ${(rssAt10 / 2 ** 20).toFixed(1)} MiB`);
    t.diagnostic(`RSS with 100 instances: ${(rssAt100 / 2 ** 20).toFixed(1)} MiB`);
    t.diagnostic(`≈ ${perInstanceKiB.toFixed(0)} KiB per instance listener`);
  } finally {
    await proxy.close();
    await backend.close();
  }
});

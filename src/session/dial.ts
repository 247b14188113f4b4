// Opens a session's byte stream: an HTTPS request upgraded to weft-session, verified against the platform
// CA only. The CLI dials the API for a session with an instance; a cell dials back to the API to serve one.
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../contract/api.js';
import { SESSION_PROTOCOL } from '../contract/session.js';

/** An answer that was not the upgrade: the server's status and words. */
export class RefusedSession extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REFUSAL_BYTES = 64 * 1024;

export function dialSession(
  url: string,
  caPem: string,
  headers: Record<string, string>,
  connectTimeoutMs: number,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'GET',
      ca: caPem,
      headers: { ...headers, connection: 'Upgrade', upgrade: SESSION_PROTOCOL },
    });
    const connectTimer = setTimeout(
      () => req.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
      connectTimeoutMs,
    );
    req.on('socket', (s) => s.once('secureConnect', () => clearTimeout(connectTimer)));
    req.on('upgrade', (res, socket, head) => {
      clearTimeout(connectTimer);
      if (res.headers.upgrade?.toLowerCase() !== SESSION_PROTOCOL) {
        socket.destroy();
        reject(new Error(`${url}: the server switched to ${res.headers.upgrade ?? 'nothing'}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_REFUSAL_BYTES) chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        reject(new RefusedSession(res.statusCode ?? 0, errorMessage(text) ?? `status ${res.statusCode}`));
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    req.end();
  });
}

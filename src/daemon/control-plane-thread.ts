// `weft up` runs its control plane in a thread of its own (control-plane-worker.ts). With both in one
// event loop, an instance's start waited behind every API request, certificate signature and SQLite commit
// the start itself caused; on two threads the cell's steps and the control plane's run side by side. They
// still speak HTTPS to each other, as a cell on another host does.
import { Worker } from 'node:worker_threads';
import type { ControlPlaneConfig } from '../api/control-plane.js';
import type { ToMain, ToWorker } from './control-plane-messages.js';

export interface ControlPlaneThread {
  url: string;
  caPem: string;
  overlayCidr: string;
  /** Settles if the thread fails after its start: the process cannot go on without its control plane. */
  failed: Promise<Error>;
  /** Stops the API and closes the store, then ends the thread. */
  close(): Promise<void>;
}

/** The worker's entry: compiled JavaScript, or the TypeScript source through tsx's loader. */
function startWorker(config: ControlPlaneConfig): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./control-plane-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: config });
  // A worker does not inherit the loader registered with --import (Node 20): it registers it itself.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: config });
}

export function startControlPlaneThread(
  config: ControlPlaneConfig,
  cellMetrics: () => Promise<string>,
): Promise<ControlPlaneThread> {
  const worker = startWorker(config);
  const send = (m: ToWorker) => worker.postMessage(m);
  let closing = false;
  let closed: () => void = () => undefined;
  // An end asked for by close() is no failure.
  const failed = new Promise<Error>((resolve) => {
    worker.once('error', (err) => closing || resolve(err));
    worker.once(
      'exit',
      (code) => closing || resolve(new Error(`the control plane's thread exited (${code})`)),
    );
  });
  return new Promise((resolve, reject) => {
    void failed.then(reject);
    worker.on('message', (m: ToMain) => {
      switch (m.kind) {
        case 'up':
          resolve({
            url: m.url,
            caPem: m.caPem,
            overlayCidr: m.overlayCidr,
            failed,
            close: () =>
              new Promise<void>((done) => {
                closing = true;
                closed = done;
                send({ kind: 'close' });
              }),
          });
          break;
        case 'metrics':
          void cellMetrics().then(
            (text) => send({ kind: 'metrics', id: m.id, text }),
            () => send({ kind: 'metrics', id: m.id, text: '' }),
          );
          break;
        case 'closed':
          void worker.terminate().then(() => closed());
          break;
      }
    });
  });
}

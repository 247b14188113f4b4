// The thread `weft up` runs its control plane in (see control-plane-thread.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { startControlPlane, type ControlPlaneConfig } from '../api/control-plane.js';
import { createLogger } from '../log/logger.js';
import type { ToMain, ToWorker } from './control-plane-messages.js';

if (parentPort === null) throw new Error('control-plane-worker.ts runs as a worker thread only');
const port = parentPort;
const send = (m: ToMain) => port.postMessage(m);
const asked = new Map<number, (text: string) => void>();
let nextId = 1;

const cellMetrics = () =>
  new Promise<string>((resolve) => {
    const id = nextId++;
    asked.set(id, resolve);
    send({ kind: 'metrics', id });
  });

const logger = createLogger('weft');
const cp = await startControlPlane(workerData as ControlPlaneConfig, logger, cellMetrics);
port.on('message', (m: ToWorker) => {
  if (m.kind === 'metrics') {
    asked.get(m.id)?.(m.text);
    asked.delete(m.id);
  } else {
    // Closed or not, the main thread ends the thread next; a failure is logged, not left to hang it.
    void cp
      .close()
      .catch((err: unknown) => logger.error({ err: String(err) }, 'the control plane did not close cleanly'))
      .finally(() => send({ kind: 'closed' }));
  }
});
send({ kind: 'up', url: cp.url, caPem: cp.caPem, overlayCidr: cp.overlayCidr });

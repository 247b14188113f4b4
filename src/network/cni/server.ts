// The cell's end of the weft-cni plugin: an HTTP server on a unix socket only root can reach (the shim is
// root, as every CNI plugin is). Each request is one plugin call; a 200 carries its result, a 400 the CNI
// error the shim prints. Bounded: body size, time to send it, time to answer.
import { chmod, mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  CniCode,
  CniError,
  errorResult,
  parseCniRequest,
  type Attachment,
  type CniPluginRequest,
  type CniRequest,
  type NetConf,
} from './protocol.js';

const MAX_BODY_BYTES = 64 * 1024;
const RECEIVE_MS = 5_000;
/** An ADD of an outside container waits for the control plane; past this the runtime is told to retry. */
export const CALL_DEADLINE_MS = 60_000;

export interface CniHandler {
  /** The ADD result; CNI_NETNS is set. */
  add(req: CniRequest): Promise<object>;
  /** Idempotent: what is gone already counts as removed. */
  del(req: CniRequest): Promise<void>;
  /** Throws a CniError when the wiring drifted. */
  check(req: CniRequest): Promise<void>;
  /** CNI 1.1 STATUS: throws a CniError (code 50) while the cell cannot take ADDs. */
  status(): void;
  /** CNI 1.1 GC: removes the network's attachments other than `valid`. */
  gc(config: NetConf, valid: Attachment[]): Promise<void>;
}

export class CniServer {
  private readonly server: http.Server;

  constructor(
    private readonly socketPath: string,
    private readonly handler: CniHandler,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer(
      { requestTimeout: RECEIVE_MS, headersTimeout: RECEIVE_MS },
      (req, res) => void this.serve(req, res),
    );
    this.server.maxHeadersCount = 16;
  }

  async listen(): Promise<void> {
    await mkdir(path.dirname(this.socketPath), { recursive: true, mode: 0o700 });
    // Another cell serving here would lose its containers' calls to this one, silently.
    if (await answers(this.socketPath)) {
      throw new Error(
        `another cell serves the weft-cni plugin on ${this.socketPath}: give this one its own --cni-socket`,
      );
    }
    // A socket left by a cell that did not stop cleanly would make listen fail.
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, resolve);
    });
    await chmod(this.socketPath, 0o600);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    let request: CniRequest | CniPluginRequest | null = null;
    try {
      const url = new URL(req.url ?? '/', 'http://weft');
      if (req.method !== 'POST' || url.pathname !== '/cni')
        throw new CniError(CniCode.invalidEnvironment, 'POST /cni only');
      request = parseCniRequest(url.searchParams, await readBody(req));
      const result = await withDeadline(this.dispatch(request));
      res.writeHead(200, { 'content-type': 'application/json' }).end(result ? JSON.stringify(result) : '');
      this.logger.info(
        { cni: request.command, container: containerOf(request), ms: Date.now() - started },
        'CNI call done',
      );
    } catch (err) {
      const body = errorResult(err);
      this.logger.warn(
        { cni: request?.command, container: request ? containerOf(request) : undefined, ...body },
        'CNI call failed',
      );
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }
  }

  private async dispatch(req: CniRequest | CniPluginRequest): Promise<object | null> {
    switch (req.command) {
      case 'STATUS':
        this.handler.status();
        return null;
      case 'GC':
        await this.handler.gc(req.config, req.valid);
        return null;
      case 'ADD':
        return this.handler.add(req);
      case 'DEL':
        await this.handler.del(req);
        return null;
      case 'CHECK':
        await this.handler.check(req);
        return null;
    }
  }
}

function containerOf(req: CniRequest | CniPluginRequest): string | undefined {
  return 'containerId' in req ? req.containerId : undefined;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // Read on and drop the rest, so the shim still gets the answer; the receive timeout bounds it.
        chunks.length = 0;
        reject(new CniError(CniCode.decode, `the network configuration exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function withDeadline<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CniError(CniCode.tryAgainLater, 'the cell did not finish in time; try again later')),
      CALL_DEADLINE_MS,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Whether a server accepts connections on the unix socket now. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

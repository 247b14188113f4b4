// Requests Node's HTTP parser refuses (a header block over its limit, a malformed request line, a
// client too slow to send its headers) never reach a route. They get an answer in the API's
// {"error": "..."} shape and a lingering close, as nginx does: send the answer, half-close, and read
// what the client still sends until it hangs up or goes quiet. Destroying the socket at once, as Node
// and fastify do by default, leaves the rest of the request unread; the kernel then answers with a
// reset, and a busy client loses the answer it was about to read.
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

/** How long a refused client may stay quiet before its socket is dropped. */
const LINGER_IDLE_MS = 5_000;
/** How long a refused client may keep sending, quiet or not. */
const LINGER_MAX_MS = 30_000;

function answerFor(code: string | undefined): { status: number; reason: string; error: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        error: 'request: the request line and headers are larger than the server accepts',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', error: 'request: not received in time' };
    default:
      return { status: 400, reason: 'Bad Request', error: 'request: not valid HTTP/1.1' };
  }
}

/** Clients already answered with an error; the parser may still complete a request from what they send. */
const refused = new WeakSet<Socket>();

/**
 * A timed-out client lingers with its parser still attached: the rest of its request may arrive and
 * complete it. That request was already answered (408) and must not run.
 */
export function dropRequestsOfRefusedClients(
  req: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  if (refused.has(req.socket)) {
    req.socket.destroy();
    reply.hijack();
  }
  done();
}

export function clientErrorHandler(log: FastifyBaseLogger) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    refused.add(socket);
    const answer = answerFor(err.code);
    log.debug({ err, status: answer.status }, 'client error');
    const body = JSON.stringify({ error: answer.error });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.resume();
    socket.setTimeout(LINGER_IDLE_MS, () => socket.destroy());
    const cap = setTimeout(() => socket.destroy(), LINGER_MAX_MS).unref();
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(cap));
  };
}

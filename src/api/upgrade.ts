// Session requests arrive as HTTP upgrades, which Node hands to the server's 'upgrade' event rather than
// to fastify. They are routed through fastify all the same, so the token check, the roles a route admits,
// its schemas and its error answers apply as to any request; a route switches protocols only once it
// found everything in order.
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_PROTOCOL } from '../contract/session.js';
import { WeftError } from '../model/errors.js';

const upgrades = new WeakSet<IncomingMessage>();

/** `routing` is fastify's: it serves a request as if it had arrived the usual way. */
export function routeUpgrades(
  server: Server,
  routing: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (head.length > 0) socket.unshift(head);
    // Node's own timeouts no longer watch this socket; the session's limits do (session/relay.ts).
    socket.setTimeout(0);
    upgrades.add(req);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    routing(req, res);
  });
}

/** Refuses a request that is not an upgrade to weft-session. */
export function requireUpgrade(req: FastifyRequest): void {
  if (!upgrades.has(req.raw) || req.headers.upgrade?.toLowerCase() !== SESSION_PROTOCOL) {
    throw new WeftError(426, `this endpoint speaks ${SESSION_PROTOCOL}: send "Upgrade: ${SESSION_PROTOCOL}"`);
  }
}

/** Answers 101 and hands over the connection's bytes. */
export function switchProtocols(reply: FastifyReply): Duplex {
  reply.hijack();
  const socket = reply.raw.socket;
  if (socket === null) throw new Error('the session connection closed before it switched protocols');
  reply.raw.detachSocket(socket);
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SESSION_PROTOCOL}\r\n\r\n`,
  );
  return socket;
}

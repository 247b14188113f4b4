import type { Socket } from 'node:net';

/**
 * Joins a client and a backend socket at L4: bytes flow both ways with pipe's backpressure, an
 * end on one side half-closes the other, and an error or abort on either side destroys both.
 * Both sockets must allow half-open connections for a one-way close to pass through.
 */
export function splice(client: Socket, backend: Socket): void {
  client.pipe(backend);
  backend.pipe(client);
  const destroyBoth = (): void => {
    client.destroy();
    backend.destroy();
  };
  client.on('error', destroyBoth);
  backend.on('error', destroyBoth);
  // A side closed before its peer sent EOF was aborted: nothing more can flow, so drop the other.
  client.on('close', () => {
    if (!client.readableEnded) backend.destroy();
  });
  backend.on('close', () => {
    if (!backend.readableEnded) client.destroy();
  });
}

// The CLI's end of a `weft ssh` or `weft logs` session: one upgraded HTTPS connection to the API (any of
// its servers), which reaches the instance's cell; frames (session/frames.ts) carry stdin in and output,
// errors and the exit code out.
import type { Duplex } from 'node:stream';
import { parseApiUrls } from '../endpoints/api-urls.js';
import { anotherServerMayTry } from '../endpoints/failure.js';
import { ApiEndpoints, CONNECT_TIMEOUT_MS } from '../endpoints/failover.js';
import { dialSession } from '../session/dial.js';
import {
  encodeData,
  encodeFrame,
  exitCode,
  FrameReader,
  FrameType,
  INSTANCE_FRAMES,
} from '../session/frames.js';
import type { Session } from './commands/session.js';

export function openInstanceSession(
  s: Session,
  path: string,
  query: Record<string, string | undefined>,
): Promise<Duplex> {
  const servers = new ApiEndpoints(parseApiUrls(s.config.api ?? '', 'API endpoint'));
  const search = new URLSearchParams(
    Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString();
  const target = search === '' ? path : `${path}?${search}`;
  const headers = { authorization: `Bearer ${s.config.token ?? ''}` };
  return servers.call(
    (url) => dialSession(`${url}${target}`, s.config.caCert ?? '', headers, CONNECT_TIMEOUT_MS),
    (err) => anotherServerMayTry(err, 'POST'),
  );
}

/** Plays the session on this terminal; resolves with the remote exit code. */
export function runInstanceSession(
  stream: Duplex,
  io: { stdin: NodeJS.ReadStream | null; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  return new Promise((resolve) => {
    let code: number | null = null;
    const reader = new FrameReader(INSTANCE_FRAMES);
    const out = (to: NodeJS.WriteStream, payload: Buffer) => {
      if (!to.write(payload)) {
        stream.pause();
        to.once('drain', () => stream.resume());
      }
    };
    stream.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (err) {
        io.stderr.write(`weft: ${err instanceof Error ? err.message : String(err)}\n`);
        stream.destroy();
        return;
      }
      for (const f of frames) {
        if (f.type === FrameType.stdout) out(io.stdout, f.payload);
        else if (f.type === FrameType.stderr) out(io.stderr, f.payload);
        else if (f.type === FrameType.error) io.stderr.write(`weft: ${f.payload.toString()}\n`);
        else if (f.type === FrameType.exit) code = exitCode(f.payload);
      }
    });
    const stdin = io.stdin;
    const onInput = (chunk: Buffer) => {
      let ok = true;
      for (const f of encodeData(FrameType.stdin, chunk)) ok = stream.write(f) && ok;
      if (!ok) {
        stdin?.pause();
        stream.once('drain', () => stdin?.resume());
      }
    };
    const onInputEnd = () => stream.write(encodeFrame(FrameType.stdinEnd));
    stdin?.on('data', onInput);
    stdin?.on('end', onInputEnd);
    stream.on('error', () => undefined);
    stream.on('close', () => {
      stdin?.off('data', onInput);
      stdin?.off('end', onInputEnd);
      stdin?.pause();
      if (code === null) io.stderr.write('weft: the session ended without an exit code\n');
      resolve(code ?? 255);
    });
  });
}

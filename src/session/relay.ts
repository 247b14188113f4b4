// Splices a caller's session stream to the cells serving it, frame by frame: each side may send only its
// own frame types; a slow side pauses the other rather than letting bytes pile up; a session quiet for
// too long, or older than its lifetime, is cut. With several cells (an app's logs), their output is merged
// and the caller hears one exit: the highest code.
import type { Duplex } from 'node:stream';
import {
  CALLER_FRAMES,
  encodeFrame,
  exitCode,
  FrameReader,
  FrameType,
  INSTANCE_FRAMES,
  type Frame,
} from './frames.js';

export interface RelayLimits {
  /** Cut after this long without a frame either way. */
  idleMs: number;
  /** Cut after this long, however busy. */
  lifetimeMs: number;
}

export interface Relay {
  /** Settles once both sides are closed. */
  done: Promise<void>;
  /** Tells the caller why and ends the session. */
  cut(why: string): void;
}

/** An exit code for a cell that ended its stream without saying how the process exited. */
const NO_EXIT_CODE = 255;

export function relay(caller: Duplex, cells: Duplex[], limits: RelayLimits): Relay {
  let finished = false;
  let idle: NodeJS.Timeout | undefined;
  const exits = new Map<Duplex, number>();
  const everything = [caller, ...cells];

  const finish = (final: Buffer[]) => {
    if (finished) return;
    finished = true;
    clearTimeout(idle);
    clearTimeout(lifetime);
    for (const cell of cells) cell.destroy();
    for (const f of final) caller.write(f);
    caller.end();
    // A caller that does not read its last frames must not keep the socket.
    setTimeout(() => caller.destroy(), 5_000).unref();
  };
  const cut = (why: string) =>
    finish([encodeFrame(FrameType.error, why), encodeFrame(FrameType.exit, '255')]);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => cut(`the session was idle for ${limits.idleMs / 1000} s`), limits.idleMs);
  };
  const lifetime = setTimeout(
    () => cut(`the session reached its lifetime of ${limits.lifetimeMs / 1000} s`),
    limits.lifetimeMs,
  );
  touch();

  const cellEnded = (cell: Duplex, code: number) => {
    if (!exits.has(cell)) exits.set(cell, code);
    if (exits.size === cells.length) {
      finish([encodeFrame(FrameType.exit, String(Math.max(...exits.values())))]);
    }
  };

  /** Writes to `to`; while it cannot take more, the sources stop reading. */
  const forward = (to: Duplex, sources: Duplex[], frame: Frame) => {
    if (finished) return;
    if (!to.write(encodeFrame(frame.type, frame.payload))) {
      for (const s of sources) s.pause();
      to.once('drain', () => sources.forEach((s) => s.resume()));
    }
  };

  const read = (from: Duplex, admitted: ReadonlySet<FrameType>, onFrame: (f: Frame) => void) => {
    const reader = new FrameReader(admitted);
    from.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        cut(err instanceof Error ? err.message : String(err));
        return;
      }
      touch();
      frames.forEach(onFrame);
    });
  };

  const onlyCell = cells.length === 1 ? cells[0] : undefined;
  read(caller, CALLER_FRAMES, (f) => {
    if (onlyCell !== undefined) forward(onlyCell, [caller], f);
  });
  onClose(caller, () => finish([]));
  for (const cell of cells) {
    read(cell, INSTANCE_FRAMES, (f) => {
      if (f.type === FrameType.exit) cellEnded(cell, exitCode(f.payload));
      else forward(caller, cells, f);
    });
    onClose(cell, () => cellEnded(cell, NO_EXIT_CODE));
  }
  for (const side of everything) side.on('error', () => side.destroy());

  const done = Promise.all(everything.map((s) => new Promise<void>((r) => onClose(s, r)))).then(
    () => undefined,
  );
  return { done, cut };
}

/** Calls `fn` once `s` is closed: at once if it closed already (a caller may leave while its cell dials back). */
function onClose(s: Duplex, fn: () => void): void {
  if (s.closed || s.destroyed) queueMicrotask(fn);
  else s.once('close', fn);
}

// The bytes of a session after the HTTP upgrade: frames of [type: 1 byte][length: 4 bytes BE][payload].
// Each direction admits its own types; a frame of another type, or longer than the bound, ends the session.

export const FrameType = {
  /** Caller → instance: bytes for the process's stdin. */
  stdin: 1,
  /** Caller → instance: the caller's stdin ended. */
  stdinEnd: 2,
  /** Instance → caller. */
  stdout: 3,
  stderr: 4,
  /** Instance → caller: the process exited; payload is its exit code as decimal text. */
  exit: 5,
  /** Instance → caller: the session could not run; payload is why, in words. */
  error: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const CALLER_FRAMES: ReadonlySet<FrameType> = new Set([FrameType.stdin, FrameType.stdinEnd]);
export const INSTANCE_FRAMES: ReadonlySet<FrameType> = new Set([
  FrameType.stdout,
  FrameType.stderr,
  FrameType.exit,
  FrameType.error,
]);

export const MAX_FRAME_BYTES = 64 * 1024;
const HEADER_BYTES = 5;

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > MAX_FRAME_BYTES) throw new Error(`a frame of ${body.length} bytes exceeds the bound`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Encodes `data` as frames of `type`, split at the frame bound. */
export function encodeData(type: FrameType, data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; at += MAX_FRAME_BYTES) {
    frames.push(encodeFrame(type, data.subarray(at, at + MAX_FRAME_BYTES)));
  }
  return frames;
}

/** Cuts a byte stream into frames of the admitted types; throws on anything else. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly admitted: ReadonlySet<FrameType>) {}

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= HEADER_BYTES) {
      const type = this.buffered.readUInt8(0) as FrameType;
      if (!this.admitted.has(type)) throw new Error(`a frame of type ${type} is not admitted here`);
      const length = this.buffered.readUInt32BE(1);
      if (length > MAX_FRAME_BYTES) throw new Error(`a frame of ${length} bytes exceeds the bound`);
      if (this.buffered.length < HEADER_BYTES + length) break;
      frames.push({ type, payload: this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + length) });
      this.buffered = this.buffered.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}

/** The exit code an exit frame carries; 255 for one that does not say. */
export function exitCode(payload: Buffer): number {
  const text = payload.toString();
  const code = Number(text);
  return /^\d{1,3}$/.test(text) && code <= 255 ? code : 255;
}

/** DNS over TCP for test clients: each message is preceded by its length as two bytes (RFC 1035 §4.2.2). */

export function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(message.length + 2);
  framed.writeUInt16BE(message.length, 0);
  message.copy(framed, 2);
  return framed;
}

/** Reassembles messages from a TCP byte stream, however the stream is split into chunks. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= 2) {
      const end = offset + 2 + data.readUInt16BE(offset);
      if (end > data.length) break;
      messages.push(data.subarray(offset + 2, end));
      offset = end;
    }
    this.buffered = data.subarray(offset);
    return messages;
  }
}

// PostgreSQL text cannot hold U+0000, and no weft name, command or value needs it: refuse it before
// any handler runs, with a 400 naming the field, so both databases answer alike.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { invalid } from '../model/errors.js';

export function rejectNulCharacters(
  req: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const inputs: [string, unknown][] = [
    // A package upload's body is its bytes, streamed, not a parsed value.
    ['', req.body instanceof Readable ? null : req.body],
    ['querystring', req.query],
    ['params', req.params],
  ];
  for (const [where, value] of inputs) {
    const field = fieldWithNul(value, where);
    if (field !== null) {
      done(invalid(`${field || 'body'}: contains a NUL character (U+0000), which is not allowed`));
      return;
    }
  }
  done();
}

/** Walks without recursion: a parsed body may be nested far deeper than the stack allows. */
function fieldWithNul(root: unknown, rootPath: string): string | null {
  const stack: [unknown, string][] = [[root, rootPath]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, path] = item;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, `${path}[${i}]`]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key.includes('\u0000')) return path;
        stack.push([v, path ? `${path}.${key}` : key]);
      }
    }
  }
  return null;
}

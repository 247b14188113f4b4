// The real curl as an API client: proof that clients no one here wrote speak the API.
import { spawn } from 'node:child_process';
import type { Reply } from './control-plane.js';

export interface CurlRequest {
  method?: string;
  token?: string;
  /** Sent with --data-binary from stdin, so any size works. */
  data?: string;
  /** Extra curl arguments, such as a content-type header. */
  args?: string[];
  /** The platform CA file the API's certificate is verified against. */
  cacert: string;
}

const STATUS_MARK = '\n--status:';

export async function curl<T = unknown>(url: string, req: CurlRequest): Promise<Reply<T>> {
  const args = [
    '--silent',
    '--show-error',
    '--cacert',
    req.cacert,
    '--write-out',
    `${STATUS_MARK}%{http_code}`,
  ];
  if (req.method !== undefined) args.push('--request', req.method);
  if (req.token !== undefined) args.push('--header', `Authorization: Bearer ${req.token}`);
  if (req.data !== undefined) args.push('--data-binary', '@-');
  args.push(...(req.args ?? []), url);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('curl', args, {
      stdio: [req.data === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`curl failed (${code}): ${stderr}`)),
    );
    // curl stops reading once the server answers early (a 400 for an oversize body): that answer is the result.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(req.data);
  });
  const at = out.lastIndexOf(STATUS_MARK);
  const text = out.slice(0, at);
  return {
    status: Number(out.slice(at + STATUS_MARK.length)),
    body: (text === '' ? null : JSON.parse(text)) as T,
  };
}

// The API token lives in this tab's sessionStorage, never in a cookie: the browser sends it only where
// this code puts it (the Authorization header), so another site cannot make requests with it.
const KEY = 'weft.token';

export class Unauthorized extends Error {}

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** GET an API path with the token; a 401 means the token is wrong or expired. */
export async function apiGet<T>(token: string, path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the token is not valid');
  const body = (await res.json()) as unknown;
  if (!res.ok) {
    const error = (body as { error?: unknown }).error;
    throw new Error(typeof error === 'string' ? error : `${path}: HTTP ${res.status}`);
  }
  return body as T;
}

// A list of API URLs, as `--api A,B` and `weft api A,B` take it: every server of one control plane.
import { requireHttps } from '../ca/pinned-fetch.js';

/** Splits URL1,URL2 into https:// URLs without trailing slashes, in the order given, each once. */
export function parseApiUrls(text: string, what: string, normalize = plainUrl): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => normalize(u, what));
  if (urls.length === 0) throw new Error(`${what} ${text}: expected https:// URLs, separated by commas`);
  return [...new Set(urls)];
}

function plainUrl(url: string, what: string): string {
  const parsed = requireHttps(url, what);
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

// `weft api`, `weft login`, `weft target`: where the CLI talks to, as whom, and in which space.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ADMIN_TOKEN_FILE, weftHome } from '../../home/paths.js';
import { requireHttps } from '../../ca/pinned-fetch.js';
import { chooseCa, fingerprint, isLoopback, type TrustFlags } from '../ca-trust.js';
import { ApiClient } from '../client.js';
import { parseApiUrls } from '../../endpoints/api-urls.js';
import { DEFAULT_API_URL, loadConfig, saveConfig, type CliConfig } from '../config.js';
import { ok, printFields, progress, say } from '../output.js';
import { findOrg, findSpace, openSession, type Session } from './session.js';

export function registerLogin(program: Command): void {
  program
    .command('api')
    .argument('[url]', 'the control plane, e.g. https://127.0.0.1:9080; several servers as URL1,URL2')
    .description('show or set the API endpoint, and trust its CA (asked once, as ssh asks for a host key)')
    .option('--ca-cert <file>', "the platform CA's certificate (the control plane's WEFT_HOME/ca/ca.crt)")
    .option(
      '--ca-fingerprint <sha256>',
      "the platform CA's SHA-256 fingerprint, checked against what the API sends",
    )
    .action(async (url: string | undefined, flags: TrustFlags) => {
      const config = loadConfig();
      if (url === undefined) {
        if (config.api === undefined) say("No API endpoint set. Use 'weft api URL' to set one.");
        else printFields([['API endpoint', config.api]]);
        return;
      }
      const api = normalizeApiUrl(url);
      const caPem = await trustCa(api, flags, config);
      progress(`Setting API endpoint to ${api}`);
      // Every server must answer under the one CA pinned: failing over must never mean trusting anew.
      for (const server of api.split(',')) await new ApiClient(server, caPem).healthy();
      ok();
      const next: CliConfig = api === config.api && caPem === config.caCert ? config : { api, caCert: caPem };
      saveConfig(next);
      printFields([['API endpoint', api]]);
      if (next.token === undefined) say("Not logged in. Use 'weft login' to log in.");
    });

  program
    .command('login')
    .description(
      "log in with a token (on the API's own host, the admin token and CA are found by themselves)",
    )
    .option('-a, --api <url>', 'API endpoint')
    .option('--token <token>', 'bearer token, as printed by create-token')
    .option('--ca-cert <file>', "the platform CA's certificate, if the endpoint's CA is not trusted yet")
    .option(
      '--ca-fingerprint <sha256>',
      "the platform CA's SHA-256 fingerprint, checked against what the API sends",
    )
    .action(async (opts: TrustFlags & { api?: string; token?: string }) => {
      const config = loadConfig();
      const api = normalizeApiUrl(opts.api ?? config.api ?? DEFAULT_API_URL);
      const caPem = await trustCa(api, opts, config);
      const token = opts.token ?? localAdminToken(api);
      say(`API endpoint: ${api}`);
      say();
      progress('Authenticating');
      const client = new ApiClient(api, caPem, token);
      const { you } = await client.info();
      ok();
      const session: Session = {
        config: { api, caCert: caPem, token, user: you.name, role: you.role },
        client,
        user: you.name,
      };
      await targetTheOnlyChoice(session);
      saveConfig(session.config);
      printTarget(session.config);
    });

  program
    .command('target')
    .description('show or set the targeted org and space')
    .option('-o, --org <org>', 'org to target')
    .option('-s, --space <space>', 'space to target')
    .action(async (opts: { org?: string; space?: string }) => {
      const s = openSession();
      if (opts.org !== undefined) {
        s.config.org = await findOrg(s, opts.org);
        delete s.config.space;
      }
      if (opts.space !== undefined) {
        if (s.config.org === undefined) throw new Error("No org targeted, use 'weft target -o ORG -s SPACE'");
        s.config.space = await findSpace(s, s.config.org, opts.space);
      } else if (opts.org !== undefined) {
        await targetTheOnlyChoice(s);
      }
      if (opts.org !== undefined || opts.space !== undefined) saveConfig(s.config);
      printTarget(s.config);
    });
}

function printTarget(config: CliConfig): void {
  printFields([
    ['API endpoint', config.api ?? ''],
    ['user', config.user ?? ''],
    ['org', config.org?.name ?? ''],
    ['space', config.space?.name ?? ''],
  ]);
  if (config.org === undefined || config.space === undefined) {
    say();
    say("No org or space targeted, use 'weft target -o ORG -s SPACE'");
  }
}

/** As cf does: with a single org (and in it a single space) to choose from, choose it. */
async function targetTheOnlyChoice(s: Session): Promise<void> {
  if (s.config.org === undefined) {
    const orgs = await s.client.orgs();
    if (orgs.length !== 1 || orgs[0] === undefined) return;
    s.config.org = { name: orgs[0].name, guid: orgs[0].guid };
  }
  const spaces = await s.client.spaces(s.config.org.guid);
  if (spaces.length === 1 && spaces[0] !== undefined)
    s.config.space = { name: spaces[0].name, guid: spaces[0].guid };
}

/** One URL, or several servers of one control plane as URL1,URL2, each given a scheme if it lacks one. */
function normalizeApiUrl(text: string): string {
  return parseApiUrls(text, 'API endpoint', (one, what) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(one) ? one : `https://${one}`;
    const url = requireHttps(withScheme, what);
    return url.origin + url.pathname.replace(/\/+$/, '');
  }).join(',');
}

/** Chooses the CA and says which, so a person can compare the fingerprint with the control plane's. */
async function trustCa(api: string, flags: TrustFlags, config: CliConfig): Promise<string> {
  const caPem = await chooseCa(api, flags, config);
  if (caPem !== config.caCert || api !== config.api) say(`Trusting the platform CA ${fingerprint(caPem)}`);
  return caPem;
}

/** On the API's own host the admin token sits in WEFT_HOME, readable by whoever runs weft there. */
function localAdminToken(api: string): string {
  const file = path.join(weftHome(), ADMIN_TOKEN_FILE);
  const hint = `pass --token TOKEN (an admin makes one with 'weft create-token')`;
  if (!api.split(',').every((url) => isLoopback(new URL(url).hostname))) {
    throw new Error(`No token given: ${hint}`);
  }
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token !== '') return token;
  } catch {
    // Unreadable or missing: the error below names the file and the way out.
  }
  throw new Error(`No token given and the admin token ${file} is not readable: ${hint}, or set WEFT_HOME`);
}

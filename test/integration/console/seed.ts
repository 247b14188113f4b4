// The seed scenario as the console sees it, registered through the API alone: org-1 with space-x
// (app-a, app-b, a policy app-a → app-b tcp 8080, a route for app-b) and space-y (app-c); a cell that
// places the instances, reports their addresses, gets app-b a 61443 certificate and reports one denied
// flow app-b → app-a. No kernel is involved: the console reads what the control plane holds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { App, Cell, Domain, Instance, Route, Space } from '../../../src/contract/resources.js';
import type { TestServer } from '../../helpers/control-plane.js';
import { created, wirePolicy } from '../../helpers/fixtures.js';

const run = promisify(execFile);
const CELL = 'cell-1';

export interface Seed {
  apps: Record<'app-a' | 'app-b' | 'app-c', App>;
  ips: Record<string, string>;
  developerX: string;
  developerY: string;
  /** Reports denied flows as cell-1 does: `report('app-a', 'app-b', 9090)`. */
  report(src: string, dst: string, port: number): Promise<void>;
}

export async function seed(server: TestServer): Promise<Seed> {
  const org = await created<{ guid: string }>(server.api('POST', '/v1/orgs', { name: 'org-1' }));
  const space = async (name: string) =>
    created<Space>(server.api('POST', '/v1/spaces', { name, orgGuid: org.guid }));
  const x = await space('space-x');
  const y = await space('space-y');
  const app = async (name: string, spaceGuid: string) =>
    created<App>(server.api('POST', '/v1/apps', { name, spaceGuid, command: 'sleep 1000' }));
  const apps = {
    'app-a': await app('app-a', x.guid),
    'app-b': await app('app-b', x.guid),
    'app-c': await app('app-c', y.guid),
  };
  await created(
    server.api('POST', '/networking/v1/external/policies', {
      policies: [wirePolicy(apps['app-a'].guid, apps['app-b'].guid, 8080)],
    }),
  );
  const domains = await created<Domain[]>(server.api('GET', '/v1/domains'));
  const internal = domains.find((d) => d.internal);
  if (!internal) throw new Error('no internal domain');
  const route = await created<Route>(
    server.api('POST', '/v1/routes', { host: 'app-b', domainGuid: internal.guid, spaceGuid: x.guid }),
  );
  await created(server.api('PUT', `/v1/routes/${route.guid}/apps/${apps['app-b'].guid}`));

  const token = async (body: object) =>
    (await created<{ token: string }>(server.api('POST', '/v1/tokens', body))).token;
  const cellToken = await token({ name: CELL, role: 'cell', cellId: CELL });
  const cell = await created<Cell>(
    server.api('PUT', `/v1/cells/${CELL}`, { hostIp: '127.0.0.1' }, cellToken),
  );
  const base = cell.subnet.split('/')[0]?.split('.').map(Number) ?? [];
  const ips: Record<string, string> = {};
  let next = 10;
  for (const [name, a] of Object.entries(apps)) {
    for (const i of await created<Instance[]>(server.api('GET', `/v1/apps/${a.guid}/instances`))) {
      const ip = [base[0], base[1], base[2], (base[3] ?? 0) + next++].join('.');
      ips[name] = ip;
      await created(
        server.api('PUT', `/v1/cells/${CELL}/instances/${i.guid}`, { state: 'RUNNING', ip }, cellToken),
      );
      if (name === 'app-b') {
        await created(
          server.api(
            'POST',
            `/v1/cells/${CELL}/instances/${i.guid}/certificates`,
            { kind: 'c2c', csr: await csr(), ip },
            cellToken,
          ),
        );
      }
    }
  }
  const report = async (src: string, dst: string, port: number) => {
    const flow = { time: new Date().toISOString(), protocol: 'tcp', srcPort: 40000, dstPort: port };
    await created(
      server.api(
        'POST',
        `/v1/cells/${CELL}/flows`,
        { flows: [{ ...flow, srcIp: ips[src], dstIp: ips[dst] }] },
        cellToken,
      ),
    );
  };
  await report('app-b', 'app-a', 8080);
  return {
    report,
    apps,
    ips,
    developerX: await token({ name: 'dev-x', role: 'space_developer', spaceGuids: [x.guid] }),
    developerY: await token({ name: 'dev-y', role: 'space_developer', spaceGuids: [y.guid] }),
  };
}

/** A fresh key's certificate request; the control plane picks the names, so the subject is a placeholder. */
async function csr(): Promise<string> {
  const { stdout } = await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    '/CN=instance',
    '-outform',
    'PEM',
  ]);
  return stdout;
}

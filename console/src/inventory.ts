// The left panel: orgs → spaces → apps, each app with its instances, routes and certificates.
import type { App, Instance } from '../../src/contract/resources.js';
import type { IssuedCertificateInfo } from '../../src/contract/certificates.js';
import { el } from './dom.js';
import { routeNamesOf, type Model } from './model.js';

/** Certificates closer than this to expiry are shown as a warning. */
const SOON_MS = 60 * 60 * 1000;

export function renderInventory(model: Model, now: number): Node[] {
  if (model.orgs.length === 0)
    return [el('p', { class: 'meta' }, 'No orgs or spaces are visible to this token.')];
  return model.orgs.map((org) =>
    el(
      'details',
      { class: 'org', open: true, data: { org: org.name } },
      el('summary', {}, `org ${org.name}`),
      ...model.spaces
        .filter((s) => s.orgGuid === org.guid)
        .map((space) =>
          el(
            'details',
            { class: 'space', open: true, data: { space: space.name } },
            el('summary', {}, `space ${space.name}`),
            ...model.apps.filter((a) => a.spaceGuid === space.guid).map((a) => appView(model, a, now)),
          ),
        ),
    ),
  );
}

function appView(model: Model, app: App, now: number): HTMLElement {
  const instances = model.instances.get(app.guid) ?? [];
  const certificates = model.certificates.get(app.guid) ?? [];
  const routes = routeNamesOf(model, app.guid);
  return el(
    'details',
    { class: 'app', open: true, data: { app: app.name } },
    el('summary', {}, app.name, el('span', { class: 'meta' }, ` ${app.state}, ${app.instances} instance(s)`)),
    el('div', { class: 'meta' }, `ports ${app.ports.join(', ')}`),
    table(
      ['#', 'state', 'cell', 'address'],
      instances.map((i: Instance) => [String(i.index), i.state, i.cellId, i.ip ?? '—']),
      'instances',
    ),
    el('div', { class: 'routes' }, routes.length === 0 ? 'no routes' : `routes: ${routes.join(', ')}`),
    certificates.length === 0
      ? el('div', { class: 'meta' }, 'no certificate issued by this server yet')
      : table(
          ['#', 'kind', 'names', 'expires'],
          certificates.map((c) => [String(c.index), c.kind, c.names.join(', '), expiry(c, now)]),
          'certificates',
        ),
  );
}

function expiry(c: IssuedCertificateInfo, now: number): string {
  const left = Date.parse(c.notAfter) - now;
  const minutes = Math.round(left / 60_000);
  const words =
    left <= 0 ? 'expired' : minutes < 120 ? `in ${minutes} min` : `in ${Math.round(minutes / 60)} h`;
  return `${c.notAfter} (${words}${left < SOON_MS ? '!' : ''})`;
}

function table(head: string[], rows: string[][], kind: string): HTMLElement {
  return el(
    'table',
    { class: kind },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
  );
}

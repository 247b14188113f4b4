// The web console in a real browser: it logs in with a token, shows the seed scenario's apps, instances,
// routes, certificate, policy graph and denied flow, explains a pair picked by two clicks on the graph,
// shows a developer only their own space, refuses a bad token, and runs under its strict CSP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { launchBrowser, type Browser } from './browser.js';
import { seed, type Seed } from './seed.js';

let server: TestServer;
let browser: Browser;
let s: Seed;
/** Chromium's reports of content blocked by the page's Content-Security-Policy. */
const violations: string[] = [];

before(async () => {
  server = await startServer();
  s = await seed(server);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function logIn(token: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${server.url}/console/`);
  await page.fill('#token', token);
  await page.click('#login-form button[type=submit]');
  return page;
}

async function graphNodes(page: Page): Promise<string[]> {
  return (await page.locator('.graph-nodes button').allTextContents()).sort();
}

async function graphEdges(page: Page): Promise<string[]> {
  return (await page.locator('.graph-edges li').allTextContents()).sort();
}

/** Clicks the graph's canvas where an app's node is drawn, once pending resizes and fits have run. */
async function clickNode(page: Page, name: string): Promise<void> {
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const button = page.locator('.graph-nodes button', { hasText: name });
  const x = Number(await button.getAttribute('data-x'));
  const y = Number(await button.getAttribute('data-y'));
  const box = await page.locator('#graph').boundingBox();
  assert.ok(box, 'the graph is on the page');
  await page.mouse.click(box.x + x, box.y + y);
}

test('an admin sees the seed scenario: apps, instances, route, certificate, policy graph and denied flow', async () => {
  const page = await logIn(server.adminToken);
  await page.locator('.graph-edges li.denied').waitFor();
  assert.deepEqual(await graphNodes(page), ['app-a', 'app-b', 'app-c']);
  assert.deepEqual(await graphEdges(page), ['app-a → app-b: tcp 8080', 'app-b → app-a: denied tcp 8080']);
  assert.match(await page.locator('#who').innerText(), /admin/);

  await page
    .locator('details')
    .evaluateAll((all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
  const appB = page.locator('details.app[data-app="app-b"]');
  const instances = await appB.locator('table.instances tbody tr').allInnerTexts();
  assert.equal(instances.length, 1);
  assert.match(
    instances[0] ?? '',
    new RegExp(`RUNNING\\s+cell-1\\s+${s.ips['app-b']?.replace(/\./g, '\\.')}`),
  );
  assert.match(await appB.locator('.routes').innerText(), /app-b\.apps\.internal/);
  const certificate = await appB.locator('table.certificates tbody tr').innerText();
  assert.match(certificate, /c2c/);
  assert.match(certificate, /DNS:app-b\.apps\.internal/);
  assert.match(certificate, /\d{4}-\d\d-\d\dT.*\(in \d+ (h|min)\)/);

  const flows = await page.locator('#flow-list li').allInnerTexts();
  assert.equal(flows.length, 1);
  assert.match(flows[0] ?? '', /app-b\/0 .* → app-a\/0 .*:8080 denied/);

  if (process.env.WEFT_CONSOLE_SCREENSHOT)
    await page.screenshot({ path: process.env.WEFT_CONSOLE_SCREENSHOT });
  await page.close();
});

test('two clicks on the graph, source then destination, show the explain answer', async () => {
  const page = await logIn(server.adminToken);
  await page.locator('.graph-edges li.denied').waitFor();
  await clickNode(page, 'app-a');
  await clickNode(page, 'app-b');
  const title = page.locator('#explain h3');
  await title.waitFor();
  assert.match(await title.innerText(), /^app-a → app-b \(tcp 8080\): (allowed|unknown)$/);
  const policy = page.locator('#explain li[data-layer="policy"]');
  assert.match((await policy.getAttribute('class')) ?? '', /step-ok/);

  await clickNode(page, 'app-b');
  await clickNode(page, 'app-a');
  await page.locator('#explain h3', { hasText: 'app-b → app-a' }).waitFor();
  assert.match(await page.locator('#explain h3').innerText(), /denied$/);
  assert.match(
    (await page.locator('#explain li[data-layer="policy"]').getAttribute('class')) ?? '',
    /step-fail/,
  );
  // The README's picture of the console (docs/console.png) is taken here, when asked for.
  if (process.env.WEFT_CONSOLE_SCREENSHOT)
    await page.screenshot({ path: process.env.WEFT_CONSOLE_SCREENSHOT });
  await page.close();
});

test('a developer of another space sees none of space-x: no apps, policies or flows of it', async () => {
  const page = await logIn(s.developerY);
  await page.locator('.graph-nodes button', { hasText: 'app-c' }).waitFor();
  assert.match(await page.locator('#who').innerText(), /dev-y/);
  assert.deepEqual(await graphNodes(page), ['app-c']);
  assert.deepEqual(await graphEdges(page), []);
  // Not even in the page's hidden parts: textContent holds closed panels too.
  const text = (await page.locator('body').textContent()) ?? '';
  for (const hidden of ['app-a', 'app-b', 'space-x', s.ips['app-a'] ?? '?', s.ips['app-b'] ?? '?']) {
    assert.ok(!text.includes(hidden), `${hidden} is not shown to dev-y`);
  }
  assert.equal(await page.locator('#flow-list li').count(), 0);
  await page.close();

  const own = await logIn(s.developerX);
  await own.locator('.graph-edges li.denied').waitFor();
  assert.deepEqual(await graphNodes(own), ['app-a', 'app-b']);
  assert.ok(!((await own.locator('body').textContent()) ?? '').includes('app-c'));
  await own.close();
});

test('a denied flow reported while the console is open appears on the graph and in the list', async () => {
  const page = await logIn(s.developerX);
  await page.locator('.graph-edges li.denied').waitFor();
  await s.report('app-a', 'app-b', 9090);
  await page.locator('.graph-edges li.denied', { hasText: 'app-a → app-b: denied tcp 9090' }).waitFor();
  await page.locator('#flow-list li', { hasText: /app-a\/0 .* → app-b\/0 .*:9090 denied/ }).waitFor();
  await page.close();
});

test('a name with markup is shown as text, never run', async () => {
  // Token names are free text (app, space and route names are not): the one string a tenant's admin
  // could shape into HTML that the console shows.
  const name = '<img src=x onerror="document.title=`pwned`">';
  const made = await server.api<{ token: string }>('POST', '/v1/tokens', {
    name,
    role: 'space_developer',
    spaceGuids: [s.apps['app-c'].spaceGuid],
  });
  assert.equal(made.status, 201);
  const page = await logIn(made.body.token);
  await page.locator('#who', { hasText: name }).waitFor();
  assert.equal(await page.locator('header img').count(), 0);
  assert.equal(await page.title(), 'weft console');
  await page.close();
});

test('a bad token is refused and nothing is shown', async () => {
  const page = await logIn(`${server.adminToken}x`);
  await page.locator('#login-error', { hasText: 'not valid' }).waitFor();
  assert.equal(await page.locator('#console').isHidden(), true);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('weft.token')), null);
  await page.close();
});

test('the token is kept in sessionStorage, not in a cookie, and sent as the Authorization header', async () => {
  const page = await logIn(s.developerX);
  const sent = page.waitForRequest((r) => r.url().includes('/v1/flows'));
  await page.locator('details.app[data-app="app-a"]').waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('weft.token')), s.developerX);
  assert.deepEqual(await browser.context.cookies(), []);
  assert.equal((await sent).headers().authorization, `Bearer ${s.developerX}`);
  await page.close();
});

test('the console runs under its Content-Security-Policy without a violation', () => {
  assert.deepEqual(violations, []);
});

test('the console files carry a strict CSP, nosniff and no framing', async () => {
  for (const file of ['', 'app.js', 'style.css']) {
    const res = await server.fetch(`${server.url}/console/${file}`);
    assert.equal(res.status, 200, file);
    await res.arrayBuffer();
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  }
});

/** GET with the path sent exactly as written: fetch() would resolve the dots first. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: url.hostname, port: url.port, path, method: 'GET', ca: server.caPem },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('no path outside the built console is served: dots, encoded dots, absolute paths', async () => {
  const attempts = [
    '/console/../package.json',
    '/console/../../admin-token',
    '/console/%2e%2e/%2e%2e/package.json',
    '/console/..%2f..%2fpackage.json',
    '/console/%2e%2e%2fadmin-token',
    '/console//etc/passwd',
    '/console/%2Fetc%2Fpasswd',
    '/console/./index.html/../../src/main.ts',
    '/console/app.js.map',
    '/console/index.html%00.js',
  ];
  for (const path of attempts) {
    const r = await rawGet(path);
    assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /root:|"name": "weft"|weft_|import /, path);
  }
});

test('an app’s certificates are read like the app: its space’s developer sees them, another gets a 404', async () => {
  const path = `/v1/apps/${s.apps['app-b'].guid}/certificates`;
  const own = await server.api<{ kind: string; names: string[]; notAfter: string }[]>(
    'GET',
    path,
    undefined,
    s.developerX,
  );
  assert.equal(own.status, 200);
  assert.deepEqual(
    own.body.map((c) => c.kind),
    ['c2c'],
  );
  assert.ok(own.body[0]?.names.includes('DNS:app-b.apps.internal'));
  assert.ok(Date.parse(own.body[0]?.notAfter ?? '') > Date.now());
  const other = await server.api<{ error: string }>('GET', path, undefined, s.developerY);
  assert.equal(other.status, 404);
  assert.equal((await server.api('GET', path, undefined, null)).status, 401);
});

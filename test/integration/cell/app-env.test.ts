// set-env and unset-env on a real `weft up`: the app's instances are replaced, and the new ones see the
// change; the platform's own variables stay as the platform sets them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WeftHost } from '../../helpers/weft-host.js';

describe('an app’s environment variables', () => {
  let host: WeftHost;

  before(async () => {
    host = await WeftHost.start();
    await host.push('env-app', 'http-app', 1);
    await host.waitRunning('env-app', 1);
  });

  after(async () => {
    await host?.shutdown();
  });

  const seen = async () =>
    (await host.ssh('env-app', 'echo "greeting=${GREETING-unset} port=$PORT"')).stdout.trim();

  test('set-env replaces the instance, and the new one has the variable', async () => {
    const [before] = await host.waitRunning('env-app', 1);
    assert.equal(await seen(), 'greeting=unset port=8080');
    await host.cliOk('set-env', 'env-app', 'GREETING', "it's here");
    const [after] = await host.waitRunning('env-app', 1);
    assert.notEqual(after?.guid, before?.guid, 'a new instance');
    assert.equal(await seen(), "greeting=it's here port=8080");
  });

  test('unset-env replaces it again, without the variable', async () => {
    await host.cliOk('unset-env', 'env-app', 'GREETING');
    await host.waitRunning('env-app', 1);
    assert.equal(await seen(), 'greeting=unset port=8080');
  });
});

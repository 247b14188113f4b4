import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Presence } from '../../../src/cell/presence.js';

const logger = pino({ level: 'silent' });

/** Runs a Presence until `enough` says stop; what it did, in order. */
function drive(answers: (n: number) => Promise<'known' | 'unknown'>, enough: (log: string[]) => boolean) {
  const log: string[] = [];
  return new Promise<string[]>((resolve) => {
    let n = 0;
    const presence = new Presence(
      {
        beat: async () => {
          const answer = await answers(n++).catch((err: unknown) => {
            log.push('failed');
            throw err;
          });
          log.push(answer);
          return answer;
        },
        rejoin: () => {
          log.push('rejoin');
          return Promise.resolve();
        },
      },
      1,
      logger,
    );
    const check = setInterval(() => {
      if (!enough(log)) return;
      clearInterval(check);
      presence.stop();
      resolve(log);
    }, 1);
    presence.start();
  });
}

test('a cell the control plane no longer knows registers again, then goes on heart-beating', async () => {
  const log = await drive(
    (n) => Promise.resolve(n === 1 ? 'unknown' : 'known'),
    (l) => l.length >= 4,
  );
  assert.deepEqual(log.slice(0, 4), ['known', 'unknown', 'rejoin', 'known']);
});

test('a failed heartbeat does not stop the next ones', async () => {
  const log = await drive(
    (n) => (n < 2 ? Promise.reject(new Error('unreachable')) : Promise.resolve('known')),
    (l) => l.includes('known'),
  );
  assert.deepEqual(log.slice(0, 3), ['failed', 'failed', 'known']);
});

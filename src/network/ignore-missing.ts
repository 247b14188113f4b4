import { CommandError } from '../host/run.js';

const MISSING = /Cannot find device|does not exist|No such process|No such file or directory/;

/** Teardown is idempotent: what is already gone counts as removed. */
export async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof CommandError && MISSING.test(err.stderr))) throw err;
  }
}

/** Mocha root hooks of the end-to-end run: check the machine first, leave no process behind after. */
import { assertPrerequisites } from './paths';
import { installCleanupHandlers, killMarked, reapOrphans } from './processes';

/** Before any spec: fail fast with what to run, and end what a killed earlier run left behind. */
export function mochaGlobalSetup(): void {
  assertPrerequisites();
  installCleanupHandlers();
  const orphans = reapOrphans();
  if (orphans.length > 0) {
    process.stderr.write(`e2e: ended ${orphans.length} process(es) an earlier, interrupted run had left\n`);
  }
}

/** After every spec: nothing this run started may still be running. */
export function mochaGlobalTeardown(): void {
  const left = killMarked();
  if (left.length > 0) {
    process.exitCode = 1;
    throw new Error(
      `e2e: processes were left running (now killed):\n${left.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`,
    );
  }
}

/**
 * The run retries a failed spec once (`retries` in .mocharc.json): code-server shares one
 * service-worker scope among all webviews and its workbench sometimes lays out late on a loaded
 * machine. A retry is never silent: the first failure is printed, and a spec that fails twice fails.
 */
export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    const retry = (test as unknown as { currentRetry(): number }).currentRetry();
    if (retry < test.retries()) {
      const why = (test.err?.message ?? 'failed').split('\n')[0];
      process.stdout.write(`      (attempt ${retry + 1} of "${test.title}" failed, retrying: ${why})\n`);
    }
  },
};

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

/**
 * `tally report` and `tally run`'s budgets as scripts use them: the built CLI in its own process,
 * its exit codes, stdout and stderr. The flags, exit codes and JSON shape are contracts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockProvider, startMockProvider } from '../../../src/mock-provider';
import { cliEntry } from '../../support/cliBundle';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tally report and budgets (CLI)', function () {
  this.timeout(90_000);
  let entry = '';
  let mock: MockProvider;
  let home: string;
  let root: string;
  const env = () => ({
    TALLY_LOG: 'warn',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    TALLY_STORAGE: '',
    ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
  });
  const tally = (args: string[]) =>
    new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [entry, ...args], { env: { ...process.env, ...env() } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b) => {
        stdout += b;
      });
      child.stderr.on('data', (b) => {
        stderr += b;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  before(async () => {
    mock = await startMockProvider();
    entry = await cliEntry();
  });
  after(() => mock.close());
  beforeEach(() => {
    mock.reset();
    home = mkdtempSync(join(tmpdir(), 'tally-cli-home-'));
    // Two workspaces of code-server, as the editor lays them out.
    root = join(home, '.local', 'share', 'code-server', 'User', 'workspaceStorage');
    for (const [hash, folder] of [
      ['h1', '/home/ann/alpha'],
      ['h2', '/home/ann/beta'],
    ]) {
      mkdirSync(join(root, hash!, 'tally.tally'), { recursive: true });
      writeFileSync(join(root, hash!, 'workspace.json'), JSON.stringify({ folder: `file://${folder}` }));
    }
    mkdirSync(join(home, 'ws'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const storage = (hash: string) => join(root, hash, 'tally.tally');
  const run = (hash: string, prompt: string, extra: string[] = []) =>
    tally([
      'run',
      '--storage',
      storage(hash),
      '--workspace',
      join(home, 'ws'),
      '--provider',
      'anthropic',
      '--model',
      'claude-sonnet-4-5',
      '--base-url',
      mock.baseURLs.anthropic,
      '--json',
      ...extra,
      prompt,
    ]);

  it('reports every workspace found (by workspace, as JSON and CSV), its total the sum of tally stats', async () => {
    const a = await run('h1', 'Look [[tools:2]]');
    const b = await run('h2', 'Hello [[tools:0]]');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const totals = [JSON.parse(a.stdout).total, JSON.parse(b.stdout).total];

    // Found on its own (HOME is the temp folder), and chosen with --storage-root: the same.
    const found = await tally(['report', '--by', 'workspace', '--json']);
    assert.equal(found.code, 0, found.stderr);
    const viaRoot = await tally(['report', '--by', 'workspace', '--json', '--storage-root', root]);
    assert.deepEqual(JSON.parse(viaRoot.stdout), JSON.parse(found.stdout));
    const r = JSON.parse(found.stdout);
    assert.deepEqual(r.groups.map((g: { key: string }) => g.key).sort(), [
      '/home/ann/alpha',
      '/home/ann/beta',
    ]);
    assert.equal(r.total.totalTokens, totals[0].totalTokens + totals[1].totalTokens);
    assert.equal(r.total.requests, 4);
    assert.equal(r.total.turns, 2);
    const sum = (c: string) => {
      const [w, f = ''] = c.split('.');
      return BigInt(w!) * 10n ** 12n + BigInt(f.padEnd(12, '0'));
    };
    assert.equal(sum(r.total.cost), sum(totals[0].cost) + sum(totals[1].cost));

    const csv = await tally([
      'report',
      '--by',
      'model',
      '--csv',
      '--storage',
      storage('h1'),
      '--storage',
      storage('h2'),
    ]);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^group,label,turns,requests,sessions,inputTokens/);
    assert.match(lines.at(-1)!, new RegExp(`^total,Total,2,4,2,.*,${r.total.cost.replace('.', '\\.')},0,0$`));

    const text = await tally(['report', '--by', 'day', '--tz', 'Asia/Kathmandu', '--storage-root', root]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /time zone Asia\/Kathmandu · 2 sessions/);
    assert.match(text.stdout, /\nTotal +2 +4 /);
  });

  it('bad flags are usage errors (exit 2), an unreadable folder an error (exit 1)', async () => {
    for (const args of [
      ['--by', 'year'],
      ['--tz', 'Mars/Olympus'],
      ['--since', '2026-13-01'],
      ['--json', '--csv'],
      ['extra'],
    ]) {
      const r = await tally(['report', '--storage-root', root, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^tally: .+\n$/);
    }
    const missing = await tally(['report', '--storage', join(home, 'nope')]);
    assert.equal(missing.code, 1);
  });

  it('run: a request that could cross a budget is not sent (exit 3) unless --over-budget; 80% warns once', async () => {
    const stopped = await run('h1', 'Look around [[tools:3]]', ['--session-budget', '0.000001']);
    assert.equal(stopped.code, 3, stopped.stderr);
    assert.match(
      stopped.stderr,
      /tally: stopped before a request that could cross the session budget .*Pass --over-budget/,
    );
    const j = JSON.parse(stopped.stdout);
    assert.equal(j.status, 'interrupted');
    assert.equal(j.turn.requests.length, 0);
    assert.equal(mock.log.length, 0);

    const forced = await run('h1', 'Look around [[tools:1]]', [
      '--session-budget',
      '0.000001',
      '--over-budget',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /warning: sending a request that could cross the session budget/);
    assert.equal(mock.log.length, 2);

    // A daily budget that today's spending already passed 80% of: one warning, then none.
    const spent = JSON.parse(forced.stdout).total.costUsd as number;
    const daily = String(spent / 0.85);
    const budgetFile = join(home, 'budgets.json');
    writeFileSync(
      budgetFile,
      JSON.stringify({ dailyUsd: Number(daily) * 100, workspaceDailyUsd: Number(daily) }),
    );
    const warned = await run('h2', 'Hi [[tools:0]]', ['--budget-file', budgetFile, '--over-budget']);
    assert.match(
      warned.stderr,
      /warning: this workspace's daily budget: .* spent \(8\d%\) on \d{4}-\d\d-\d\d|warning: .*workspace's daily budget/,
    );
    const again = await run('h2', 'Hi again [[tools:0]]', ['--budget-file', budgetFile, '--over-budget']);
    assert.doesNotMatch(again.stderr, /warning: this workspace's daily budget: .* spent \(8\d%\)/);

    const bad = await run('h1', 'x', ['--daily-budget', 'lots']);
    assert.equal(bad.code, 2);

    // tally budget: where each budget stands, from the same derivation as tally report.
    const today = JSON.parse(
      (await tally(['report', '--by', 'day', '--json', '--storage-root', root])).stdout,
    ).total;
    const status = await tally(['budget', '--storage', storage('h1'), '--daily-budget', '1000', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const [line] = JSON.parse(status.stdout);
    assert.equal(line.kind, 'daily');
    assert.equal(line.spent, today.cost);
    assert.equal(line.level, 'ok');
    const over = await tally(['budget', '--storage', storage('h1'), '--daily-budget', '0.000001']);
    assert.equal(over.code, 3);
    assert.match(over.stdout, /^EXCEEDED {2}daily budget: /);
  });
});

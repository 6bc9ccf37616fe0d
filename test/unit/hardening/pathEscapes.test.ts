/**
 * The agent's tools against paths that try to leave the workspace. Every case runs through
 * `runTool` (what the model's call reaches) for reads, lists, searches, writes and edits, and
 * must end without touching or revealing anything outside: 0 escapes.
 */
import assert from 'node:assert/strict';
import { promises as fs, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolPolicy } from '../../../src/core/agent/tools';
import { Workspace } from '../../../src/core/agent/workspace';

const SECRET = 'OUTSIDE-SECRET-7f3a';
const policy: ToolPolicy = { allowWrites: true, allowCommands: false };

/** Each attempt is a path the model gives; `setup` prepares links inside the workspace first. */
interface Attempt {
  name: string;
  path: string | ((o: { outside: string; root: string }) => string);
  setup?: (o: { ws: string; outside: string }) => void;
}

const ATTEMPTS: Attempt[] = [
  { name: '.. at the start', path: '../outside/secret.txt' },
  { name: '.. in the middle', path: 'src/../../outside/secret.txt' },
  { name: '.. at the end', path: 'src/..' + '/..' },
  { name: '.. only', path: '..' },
  { name: 'many ..', path: '../../../../../../../../etc/passwd' },
  { name: '.. after a dot', path: './../outside/secret.txt' },
  { name: '.. with a trailing slash', path: '../' },
  { name: 'backslash ..', path: '..\\outside\\secret.txt' },
  { name: 'mixed separators', path: 'src\\..\\..\\outside/secret.txt' },
  { name: 'absolute path', path: ({ outside }) => join(outside, 'secret.txt') },
  { name: 'absolute /etc/passwd', path: '/etc/passwd' },
  { name: 'double slash root', path: '//etc/passwd' },
  { name: 'Windows drive', path: 'C:\\Windows\\win.ini' },
  { name: 'Windows drive, forward slash', path: 'c:/outside/secret.txt' },
  { name: 'UNC path', path: '\\\\server\\share\\secret.txt' },
  { name: 'home ~', path: '~/.ssh/id_rsa' },
  { name: 'home ~user', path: '~root/.bashrc' },
  { name: 'URL-encoded ..', path: '%2e%2e/outside/secret.txt' },
  { name: 'URL-encoded slash', path: '..%2foutside%2fsecret.txt' },
  { name: 'double URL-encoded', path: '%252e%252e%252foutside' },
  { name: 'file: URL', path: ({ outside }) => `file://${join(outside, 'secret.txt')}` },
  { name: 'fullwidth solidus', path: '..\uff0foutside\uff0fsecret.txt' },
  { name: 'division slash', path: '..\u2215outside\u2215secret.txt' },
  { name: 'fraction slash', path: '..\u2044outside' },
  { name: 'big solidus', path: '..\u29f8outside' },
  { name: 'fullwidth reverse solidus', path: '..\uff3coutside' },
  { name: 'fullwidth full stops', path: '\uff0e\uff0e/outside/secret.txt' },
  { name: 'one-dot leaders', path: '\u2024\u2024/outside/secret.txt' },
  { name: 'NUL byte', path: 'notes.md\u0000../../outside/secret.txt' },
  { name: 'NUL at the start', path: '\u0000/etc/passwd' },
  { name: 'very long path', path: `${'a/'.repeat(3000)}../../outside` },
  { name: 'very long .. chain', path: '../'.repeat(2000) },
  { name: 'leading spaces and ..', path: '   ../outside/secret.txt' },
  { name: 'newline in path', path: 'src\n/../../outside/secret.txt' },
  {
    name: 'symlink to a file outside',
    path: 'link-file',
    setup: ({ ws, outside }) => symlinkSync(join(outside, 'secret.txt'), join(ws, 'link-file')),
  },
  {
    name: 'symlink to a folder outside (junction)',
    path: 'link-dir/secret.txt',
    setup: ({ ws, outside }) => symlinkSync(outside, join(ws, 'link-dir')),
  },
  {
    name: 'symlinked folder, then ..',
    path: 'link-dir2/../outside/secret.txt',
    setup: ({ ws, outside }) => symlinkSync(join(outside, 'deeper'), join(ws, 'link-dir2')),
  },
  {
    name: 'relative symlink climbing out',
    path: 'rel-link',
    setup: ({ ws }) => symlinkSync('../outside/secret.txt', join(ws, 'rel-link')),
  },
  {
    name: 'chain of symlinks ending outside',
    path: 'hop1',
    setup: ({ ws, outside }) => {
      symlinkSync(join(outside, 'secret.txt'), join(ws, 'hop2'));
      symlinkSync(join(ws, 'hop2'), join(ws, 'hop1'));
    },
  },
  {
    name: 'symlink to the root folder',
    path: 'rootlink/etc/passwd',
    setup: ({ ws }) => symlinkSync('/', join(ws, 'rootlink')),
  },
  {
    name: 'dangling symlink to a new file outside (write target)',
    path: 'dangling',
    setup: ({ ws, outside }) => symlinkSync(join(outside, 'created-by-agent.txt'), join(ws, 'dangling')),
  },
  {
    name: 'new file under a symlinked folder outside',
    path: 'link-dir3/new/created-by-agent.txt',
    setup: ({ ws, outside }) => symlinkSync(outside, join(ws, 'link-dir3')),
  },
  { name: 'the workspace root itself by ..', path: ({ root }) => `../${root.split('/').pop()}/../outside` },
];

describe('hardening: tool paths that try to leave the workspace', function () {
  this.timeout(60_000);
  let base: string;
  let ws: string;
  let outside: string;
  let workspace: Workspace;
  let snapshot: string;

  /** Everything outside the workspace, as text: nothing may change it. */
  function outsideState(): string {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? walk(join(d, e.name))
          : [`${join(d, e.name)}=${readFileSync(join(d, e.name), 'utf8')}`],
      );
    return walk(outside).sort().join('\n');
  }

  beforeEach(async () => {
    base = await fs.mkdtemp(join(tmpdir(), 'tally-escape-'));
    ws = join(base, 'ws');
    outside = join(base, 'outside');
    mkdirSync(join(ws, 'src'), { recursive: true });
    mkdirSync(join(outside, 'deeper', 'outside'), { recursive: true });
    writeFileSync(join(ws, 'notes.md'), 'inside\n');
    writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`);
    writeFileSync(join(outside, 'deeper', 'outside', 'secret.txt'), `${SECRET}\n`);
    workspace = await Workspace.open(ws);
    snapshot = outsideState();
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  const calls = (path: string) => [
    { toolName: 'read_file', input: { path } },
    { toolName: 'list_files', input: { path } },
    { toolName: 'search_files', input: { pattern: 'SECRET', path } },
    { toolName: 'write_file', input: { path, content: 'pwned' } },
    { toolName: 'edit_file', input: { path, oldText: 'OUTSIDE', newText: 'pwned' } },
  ];

  it(`${ATTEMPTS.length} escape attempts × 5 tools: 0 escapes (nothing read, listed, written or created outside)`, async () => {
    assert.ok(ATTEMPTS.length >= 30);
    const escapes: string[] = [];
    for (const a of ATTEMPTS) {
      a.setup?.({ ws, outside });
      const path = typeof a.path === 'string' ? a.path : a.path({ outside, root: ws });
      for (const c of calls(path)) {
        const out = await runTool(
          { toolCallId: 'x', ...c },
          { workspace, policy, approve: async () => true },
        );
        // An escape reveals what is outside (a file's text, a folder's entries) or changes it.
        // Error messages echo the path the model gave: that reveals nothing.
        const leaked =
          out.output.includes(SECRET) ||
          /root:.*:0:0:/.test(out.output) ||
          (!out.isError && c.toolName === 'list_files' && /secret\.txt|deeper|passwd/.test(out.output));
        if (leaked) escapes.push(`${a.name} / ${c.toolName}: ${out.output.slice(0, 120)}`);
        if (outsideState() !== snapshot) {
          escapes.push(`${a.name} / ${c.toolName}: changed a file outside`);
          snapshot = outsideState();
        }
      }
    }
    assert.deepEqual(escapes, []);
  });

  it('the ordinary paths still work (no false refusals): dotted names, nested folders, a symlink inside', async () => {
    writeFileSync(join(ws, '..notes'), 'dots\n');
    mkdirSync(join(ws, 'a', 'b'), { recursive: true });
    writeFileSync(join(ws, 'a', 'b', 'c.txt'), 'deep\n');
    symlinkSync(join(ws, 'a', 'b', 'c.txt'), join(ws, 'inner-link'));
    const run = (toolName: string, input: unknown) =>
      runTool({ toolCallId: 'x', toolName, input }, { workspace, policy, approve: async () => true });
    assert.equal((await run('read_file', { path: '..notes' })).output, 'dots\n');
    assert.equal((await run('read_file', { path: 'a/./b/../b/c.txt' })).output, 'deep\n');
    assert.equal((await run('read_file', { path: 'inner-link' })).output, 'deep\n');
    assert.equal(
      (await run('read_file', { path: `${ws}/notes.md`.slice(ws.length + 1) })).output,
      'inside\n',
    );
    assert.equal((await run('write_file', { path: 'new/dir/file.txt', content: 'x' })).isError, false);
    assert.equal(readFileSync(join(ws, 'new', 'dir', 'file.txt'), 'utf8'), 'x');
    assert.match((await run('search_files', { pattern: 'deep', path: '.' })).output, /a\/b\/c\.txt:1: deep/);
    assert.match((await run('list_files', { path: 'a' })).output, /b\//);
  });

  it('a file swapped for a symlink outside between the check and the use is caught', async () => {
    writeFileSync(join(ws, 'swap.txt'), 'inside\n');
    mkdirSync(join(ws, 'dir'));
    writeFileSync(join(ws, 'dir', 'f.txt'), 'inside\n');
    const real = workspace.real.bind(workspace);
    const realForWrite = workspace.realForWrite.bind(workspace);
    // The swap happens right after the path was checked, before the file is opened.
    const swap = async (rel: string) => {
      if (rel === 'swap.txt' || rel.startsWith('swap.txt')) {
        await fs.rm(join(ws, 'swap.txt'), { force: true });
        await fs.symlink(join(outside, 'secret.txt'), join(ws, 'swap.txt'));
      }
      if (rel.startsWith('dir')) {
        await fs.rm(join(ws, 'dir'), { recursive: true, force: true });
        await fs.symlink(outside, join(ws, 'dir'));
      }
    };
    workspace.real = async (rel: string) => {
      const r = await real(rel);
      await swap(rel);
      return r;
    };
    workspace.realForWrite = async (rel: string) => {
      const r = await realForWrite(rel);
      await swap(rel);
      return r;
    };
    const attempts: [string, unknown][] = [
      ['read_file', { path: 'swap.txt' }],
      ['read_file', { path: 'dir/f.txt' }],
      ['list_files', { path: 'dir' }],
      ['search_files', { pattern: 'SECRET', path: 'dir' }],
      ['write_file', { path: 'swap.txt', content: 'pwned' }],
      ['write_file', { path: 'dir/secret.txt', content: 'pwned' }],
      ['write_file', { path: 'dir/created-by-agent.txt', content: 'pwned' }],
    ];
    const escapes: string[] = [];
    for (const [toolName, input] of attempts) {
      // Put the inside files back before each attempt.
      await fs.rm(join(ws, 'swap.txt'), { force: true });
      writeFileSync(join(ws, 'swap.txt'), 'inside\n');
      await fs.rm(join(ws, 'dir'), { recursive: true, force: true });
      mkdirSync(join(ws, 'dir'));
      writeFileSync(join(ws, 'dir', 'f.txt'), 'inside\n');
      const out = await runTool(
        { toolCallId: 'x', toolName, input },
        { workspace, policy, approve: async () => true },
      );
      if (out.output.includes(SECRET) || (!out.isError && /secret\.txt|deeper/.test(out.output)))
        escapes.push(`${toolName} ${JSON.stringify(input)}: leaked ${out.output.slice(0, 100)}`);
      if (outsideState() !== snapshot) {
        escapes.push(`${toolName} ${JSON.stringify(input)}: changed a file outside`);
        snapshot = outsideState();
      }
    }
    assert.deepEqual(escapes, []);
  });

  it('a folder swapped for a symlink while the search walks it is not followed', async () => {
    mkdirSync(join(ws, 'walk', 'sub'), { recursive: true });
    writeFileSync(join(ws, 'walk', 'sub', 'a.txt'), 'nothing\n');
    writeFileSync(join(ws, 'walk', 'b.txt'), 'SECRET-looking but inside\n');
    // Swap `walk/sub` for a link outside as soon as the walk starts reading `walk`.
    const { readdir } = fs;
    let swapped = false;
    (fs as { readdir: unknown }).readdir = async (...args: Parameters<typeof readdir>) => {
      const r = await (readdir as (...a: unknown[]) => Promise<unknown>)(...args);
      if (!swapped && String(args[0]).endsWith('walk')) {
        swapped = true;
        await fs.rm(join(ws, 'walk', 'sub'), { recursive: true });
        await fs.symlink(outside, join(ws, 'walk', 'sub'));
      }
      return r;
    };
    try {
      const out = await runTool(
        { toolCallId: 'x', toolName: 'search_files', input: { pattern: 'SECRET', path: 'walk' } },
        { workspace, policy, approve: async () => true },
      );
      assert.doesNotMatch(out.output, new RegExp(SECRET));
    } finally {
      (fs as { readdir: unknown }).readdir = readdir;
    }
  });

  it('a FIFO or a device inside the workspace does not hang a read or a search', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(ws, 'pipe')]);
    const started = Date.now();
    const read = await runTool(
      { toolCallId: 'x', toolName: 'read_file', input: { path: 'pipe' } },
      { workspace, policy, approve: async () => true },
    );
    assert.equal(read.isError, true);
    const search = await runTool(
      { toolCallId: 'x', toolName: 'search_files', input: { pattern: 'x', path: '.' } },
      { workspace, policy, approve: async () => true },
    );
    assert.equal(search.isError, false);
    assert.ok(Date.now() - started < 5000);
  });

  it('tool names that are not tools (prototype keys included) are refused, never thrown', async () => {
    for (const toolName of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'bogus',
      '',
    ]) {
      const out = await runTool(
        { toolCallId: 'x', toolName, input: { path: 'notes.md' } },
        { workspace, policy, approve: async () => true },
      );
      assert.equal(out.isError, true, toolName);
      assert.match(out.output, /Unknown tool/);
    }
  });
});

/**
 * The agent's tools. They are declared to the model without `execute`: the turn loop runs them
 * itself between requests, so every request is one model call of its own, and writes and
 * commands can wait for the user's yes.
 */
import { spawn } from 'node:child_process';
import { type Tool, tool } from 'ai';
import { z } from 'zod';
import { PathError, type Workspace } from './workspace';

export const readOnlyToolNames = ['read_file', 'list_files', 'search_files'] as const;
export const writeToolNames = ['write_file', 'edit_file'] as const;
export const commandToolNames = ['run_command'] as const;
export type ToolName = (typeof readOnlyToolNames | typeof writeToolNames | typeof commandToolNames)[number];

const inputs = {
  read_file: z.object({ path: z.string().describe('Path relative to the workspace root') }),
  list_files: z.object({
    path: z.string().describe('Folder relative to the workspace root; "." is the root'),
  }),
  search_files: z.object({
    pattern: z.string().describe('Regular expression (or plain text) to find'),
    path: z.string().optional().describe('Folder or file to search, relative to the root (default ".")'),
  }),
  write_file: z.object({ path: z.string(), content: z.string() }),
  edit_file: z.object({
    path: z.string(),
    oldText: z.string().describe('Exact text to replace; must occur exactly once'),
    newText: z.string(),
  }),
  run_command: z.object({ command: z.string().describe('A shell command, run in the workspace root') }),
} as const;

const descriptions: Record<ToolName, string> = {
  read_file: 'Read a text file of the workspace.',
  list_files: 'List the entries of a folder of the workspace (folders end with /).',
  search_files: 'Search the workspace files for lines matching a pattern.',
  write_file: 'Create or overwrite a file of the workspace (the user approves each call).',
  edit_file: 'Replace one exact occurrence of a text in a file (the user approves each call).',
  run_command: 'Run a shell command in the workspace root (the user approves each call).',
};

export interface ToolPolicy {
  allowWrites: boolean;
  allowCommands: boolean;
}

/** The tools offered to the model: write and command tools only where the policy allows them. */
export function toolSet(policy: ToolPolicy): Record<string, Tool> {
  const names: ToolName[] = [
    ...readOnlyToolNames,
    ...(policy.allowWrites ? writeToolNames : []),
    ...(policy.allowCommands ? commandToolNames : []),
  ];
  return Object.fromEntries(
    names.map((n) => [
      n,
      tool({ description: descriptions[n], inputSchema: inputs[n] as z.ZodType<unknown> }),
    ]),
  );
}

export interface ToolCallRequest {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** What the user is asked before a write or a command: the call, with a preview for edits. */
export interface ApprovalRequest extends ToolCallRequest {
  kind: 'write' | 'command';
  /** For edits: the file's text before and after. */
  preview?: { path: string; before: string; after: string };
}

export type Approver = (req: ApprovalRequest) => Promise<boolean>;

export interface ToolOutcome {
  output: string;
  isError: boolean;
}

const MAX_OUTPUT = 32 * 1024;

export async function runTool(
  call: ToolCallRequest,
  ctx: {
    workspace: Workspace;
    policy: ToolPolicy;
    approve: Approver;
    signal?: AbortSignal;
    commandTimeoutMs?: number;
  },
): Promise<ToolOutcome> {
  // Own keys only: a model naming "constructor" or "__proto__" must not reach Object's members.
  if (typeof call.toolName !== 'string' || !Object.hasOwn(inputs, call.toolName))
    return { output: `Unknown tool "${String(call.toolName).slice(0, 100)}".`, isError: true };
  const name = call.toolName as ToolName;
  const schema = inputs[name];
  const parsed = schema.safeParse(call.input);
  if (!parsed.success) return { output: `Bad arguments for ${name}: ${parsed.error.message}`, isError: true };
  const ws = ctx.workspace;
  try {
    switch (name) {
      case 'read_file':
        return ok(await ws.readFile((parsed.data as { path: string }).path));
      case 'list_files':
        return ok((await ws.list((parsed.data as { path: string }).path)).join('\n') || '(empty folder)');
      case 'search_files': {
        const a = parsed.data as { pattern: string; path?: string };
        const hits = await ws.search(a.pattern, a.path ?? '.');
        return ok(hits.length ? hits.join('\n') : 'No matches.');
      }
      case 'write_file': {
        if (!ctx.policy.allowWrites) return denied('writes are turned off');
        const a = parsed.data as { path: string; content: string };
        const before = await ws.readFile(a.path).catch(() => '');
        if (
          !(await ctx.approve({
            ...call,
            kind: 'write',
            preview: { path: a.path, before, after: a.content },
          }))
        ) {
          return denied('the user declined this write');
        }
        const bytes = await ws.writeFile(a.path, a.content);
        return ok(`Wrote ${bytes} bytes to ${a.path}.`);
      }
      case 'edit_file': {
        if (!ctx.policy.allowWrites) return denied('writes are turned off');
        const a = parsed.data as { path: string; oldText: string; newText: string };
        const before = await ws.readFile(a.path);
        const first = before.indexOf(a.oldText);
        if (a.oldText === '' || first < 0)
          return { output: `The text to replace was not found in ${a.path}.`, isError: true };
        if (before.indexOf(a.oldText, first + 1) >= 0) {
          return {
            output: `The text to replace occurs more than once in ${a.path}; give more context.`,
            isError: true,
          };
        }
        const after = before.slice(0, first) + a.newText + before.slice(first + a.oldText.length);
        if (!(await ctx.approve({ ...call, kind: 'write', preview: { path: a.path, before, after } }))) {
          return denied('the user declined this edit');
        }
        await ws.writeFile(a.path, after);
        return ok(`Edited ${a.path}.`);
      }
      case 'run_command': {
        if (!ctx.policy.allowCommands) return denied('commands are turned off');
        const a = parsed.data as { command: string };
        if (!(await ctx.approve({ ...call, kind: 'command' })))
          return denied('the user declined this command');
        return await runCommand(a.command, ws.realRoot, ctx.commandTimeoutMs ?? 60_000, ctx.signal);
      }
    }
  } catch (e) {
    if (e instanceof PathError) return { output: e.message, isError: true };
    const err = e as NodeJS.ErrnoException;
    return { output: `${name} failed: ${err.code ?? ''} ${err.message}`.trim(), isError: true };
  }
}

function ok(output: string): ToolOutcome {
  return { output, isError: false };
}

function denied(why: string): ToolOutcome {
  return { output: `Not done: ${why}.`, isError: true };
}

function runCommand(
  command: string,
  cwd: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ToolOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      cwd,
      shell: true,
      signal,
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (b: Buffer) => {
      if (out.length < MAX_OUTPUT) out += b.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolve({ output: `Command failed to start: ${e.message}`, isError: true }));
    child.on('close', (code, sig) => {
      const text = out.length > MAX_OUTPUT ? `${out.slice(0, MAX_OUTPUT)}\n… (output truncated)` : out;
      resolve({ output: `${text}\n(exit ${code ?? sig})`.trim(), isError: code !== 0 });
    });
  });
}

/**
 * A tool call as a compact card: icon, name and main argument; the full arguments and the
 * result collapsible; the error state; and, for writes and commands waiting for the user,
 * the preview (a line diff of an edit, or the command) with Approve and Decline.
 */
import type { ChatItem } from '../../shared/protocol';
import { diffHunks, diffStat, lineDiff } from '../diff';
import { button, h, icon } from '../dom';
import { lineCount, toolArgs, toolIcon, toolSummary } from '../format';

type ToolItem = Extract<ChatItem, { kind: 'tool' }>;

export interface ToolCardContext {
  /** Waits for the user's answer now. */
  awaiting: boolean;
  /** Answered, the host has not confirmed yet. */
  answering: boolean;
  /** Whether the turn is still running (an unfinished call shows a spinner). */
  running: boolean;
  /** Details open before a re-render (`args`, `result`). */
  open: ReadonlySet<string>;
  onToggle(part: string, open: boolean): void;
  onAnswer(approved: boolean): void;
}

/** Arguments the card's header already shows. */
const SUMMARY_KEYS: Record<string, string[]> = {
  run_command: ['command'],
  search_files: ['pattern', 'path'],
};

/** At most this many diff lines are drawn; the rest is counted. */
const MAX_DIFF_LINES = 400;

function hasMoreArgs(item: ToolItem): boolean {
  if (typeof item.input !== 'object' || item.input === null) return false;
  const shown = SUMMARY_KEYS[item.toolName] ?? ['path'];
  return Object.keys(item.input).some((k) => !shown.includes(k));
}

function details(
  part: string,
  summary: (Node | string)[],
  body: Node,
  ctx: ToolCardContext,
  cls = '',
): HTMLDetailsElement {
  const d = h('details', { class: `tool-details ${cls}`.trim() }, h('summary', {}, ...summary), body);
  d.open = ctx.open.has(part);
  d.addEventListener('toggle', () => ctx.onToggle(part, d.open));
  return d;
}

/** The diff of an edit, as numbered lines with +/− markers and skipped context collapsed. */
export function renderDiff(before: string, after: string): HTMLElement {
  const lines = lineDiff(before, after);
  const { added, removed } = diffStat(lines);
  const box = h('div', {
    class: 'diff',
    attrs: { role: 'group', 'aria-label': `Diff: ${added} added, ${removed} removed` },
  });
  let drawn = 0;
  let hidden = 0;
  for (const part of diffHunks(lines, 3)) {
    if (part.kind === 'skip') {
      box.append(
        h('div', { class: 'diff-skip' }, `⋯ ${part.count} unchanged line${part.count === 1 ? '' : 's'}`),
      );
      continue;
    }
    for (const l of part.lines) {
      if (drawn >= MAX_DIFF_LINES) {
        hidden++;
        continue;
      }
      drawn++;
      const sign = l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : ' ';
      const sr = l.kind === 'add' ? 'added: ' : l.kind === 'del' ? 'removed: ' : '';
      box.append(
        h(
          'div',
          { class: `diff-line diff-${l.kind}` },
          h('span', { class: 'diff-no', attrs: { 'aria-hidden': 'true' } }, String(l.oldLine ?? '')),
          h('span', { class: 'diff-no', attrs: { 'aria-hidden': 'true' } }, String(l.newLine ?? '')),
          h('span', { class: 'diff-sign', attrs: { 'aria-hidden': 'true' } }, sign),
          h('span', { class: 'sr-only' }, sr),
          h('span', { class: 'diff-text' }, l.text),
        ),
      );
    }
  }
  if (hidden > 0) box.append(h('div', { class: 'diff-skip' }, `… ${hidden} more lines not shown`));
  return box;
}

function stateIcon(item: ToolItem, ctx: ToolCardContext): HTMLElement {
  if (item.isError)
    return h(
      'span',
      { class: 'tool-state error', attrs: { title: 'Failed' } },
      icon('error'),
      h('span', { class: 'sr-only' }, 'failed'),
    );
  if (item.approved === false) return h('span', { class: 'tool-state muted' }, 'declined');
  if (ctx.awaiting) return h('span', { class: 'tool-state warn' }, icon('shield'), 'needs approval');
  if (item.output !== undefined)
    return h(
      'span',
      { class: 'tool-state ok', attrs: { title: 'Done' } },
      icon('check'),
      h('span', { class: 'sr-only' }, 'done'),
    );
  if (ctx.running)
    return h(
      'span',
      { class: 'tool-state', attrs: { title: 'Running' } },
      icon('loading', 'codicon-modifier-spin'),
      h('span', { class: 'sr-only' }, 'running'),
    );
  return h('span', { class: 'tool-state muted' }, 'no result');
}

function approvalBlock(item: ToolItem, ctx: ToolCardContext): HTMLElement {
  const a = item.approval!;
  const preview = a.preview;
  let question: string;
  let body: Node | null = null;
  if (a.kind === 'command') {
    const o = (item.input ?? {}) as { command?: unknown };
    question = 'Run this command in the workspace?';
    body = h(
      'pre',
      { class: 'command-preview' },
      h('code', {}, typeof o.command === 'string' ? o.command : toolArgs(item.input)),
    );
  } else if (preview) {
    const { added, removed } = diffStat(lineDiff(preview.before, preview.after));
    question = `${preview.before === '' ? 'Create' : 'Change'} ${preview.path}? (+${added} −${removed})`;
    body = renderDiff(preview.before, preview.after);
  } else {
    question = `Let ${item.toolName} write to the workspace?`;
  }
  const approve = button('Approve', { icon: 'check', class: 'primary', onClick: () => ctx.onAnswer(true) });
  const decline = button('Decline', {
    icon: 'close',
    class: 'secondary',
    onClick: () => ctx.onAnswer(false),
  });
  if (ctx.answering) {
    approve.disabled = true;
    decline.disabled = true;
  }
  return h(
    'div',
    { class: 'approval', attrs: { role: 'group', 'aria-label': 'Approval needed' } },
    h('div', { class: 'approval-question' }, question),
    body,
    h(
      'div',
      { class: 'approval-actions' },
      approve,
      decline,
      ctx.answering ? h('span', { class: 'muted' }, 'Sending…') : null,
    ),
  );
}

/** Renders the card of one tool call. */
export function renderToolCard(item: ToolItem, ctx: ToolCardContext): HTMLElement {
  const summary = toolSummary(item.toolName, item.input);
  const card = h('div', {
    class: `tool-card${item.isError ? ' is-error' : ''}${ctx.awaiting ? ' is-awaiting' : ''}`,
    attrs: { role: 'group', 'aria-label': `Tool ${item.toolName}${summary ? `: ${summary}` : ''}` },
  });
  card.append(
    h(
      'div',
      { class: 'tool-head' },
      icon(toolIcon(item.toolName), 'tool-icon'),
      h('span', { class: 'tool-name' }, item.toolName),
      h('span', { class: 'tool-arg', attrs: { title: summary } }, summary),
      stateIcon(item, ctx),
    ),
  );
  if (ctx.awaiting || ctx.answering) card.append(approvalBlock(item, ctx));
  if (hasMoreArgs(item)) {
    card.append(details('args', ['Arguments'], h('pre', { class: 'tool-pre' }, toolArgs(item.input)), ctx));
  }
  if (item.output !== undefined) {
    const label = item.isError ? 'Error' : 'Result';
    card.append(
      details(
        'result',
        [label, h('span', { class: 'muted' }, ` · ${lineCount(item.output)}`)],
        h('pre', { class: 'tool-pre' }, item.output),
        ctx,
        item.isError ? 'is-error' : '',
      ),
    );
  }
  return card;
}

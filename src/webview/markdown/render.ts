/**
 * Markdown tokens → DOM, with createElement and text nodes only (never innerHTML): the tags come
 * from a fixed list here, every model string goes through textContent, and an href is set only
 * when safeHref accepts it again at render time.
 */
import { parseBlocks } from './blocks';
import { safeHref } from './safeHref';
import type { Block, Inline } from './tokens';

/** What the renderer needs from its host view. */
export interface MarkdownOptions {
  /** Copies a code block's text (the view shows feedback). */
  copy(text: string, button: HTMLButtonElement): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function renderInline(tokens: Inline[], parent: Node): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        parent.appendChild(document.createTextNode(t.text));
        break;
      case 'code': {
        const c = el('code');
        c.textContent = t.text;
        parent.appendChild(c);
        break;
      }
      case 'strong':
      case 'em':
      case 'del': {
        const e = el(t.type === 'strong' ? 'strong' : t.type === 'em' ? 'em' : 'del');
        renderInline(t.children, e);
        parent.appendChild(e);
        break;
      }
      case 'link': {
        const href = safeHref(t.href);
        if (!href) {
          renderInline(t.children, parent);
          break;
        }
        const a = el('a');
        a.href = href;
        a.title = href;
        a.rel = 'noopener noreferrer';
        renderInline(t.children, a);
        parent.appendChild(a);
        break;
      }
      case 'br':
        parent.appendChild(el('br'));
        break;
      default:
        t satisfies never;
    }
  }
}

function renderCode(block: Extract<Block, { type: 'code' }>, opts: MarkdownOptions): HTMLElement {
  const wrap = el('div', 'md-code');
  const bar = el('div', 'md-code-bar');
  const lang = el('span', 'md-code-lang');
  lang.textContent = block.lang;
  const copy = el('button', 'icon-button md-copy');
  copy.type = 'button';
  copy.title = 'Copy code';
  copy.setAttribute('aria-label', block.lang ? `Copy ${block.lang} code` : 'Copy code');
  const icon = el('span', 'codicon codicon-copy');
  icon.setAttribute('aria-hidden', 'true');
  copy.append(icon);
  copy.addEventListener('click', () => opts.copy(block.text, copy));
  bar.append(lang, copy);
  const pre = el('pre');
  const code = el('code');
  code.textContent = block.text;
  pre.append(code);
  pre.tabIndex = 0;
  pre.setAttribute('aria-label', block.lang ? `${block.lang} code` : 'Code');
  wrap.append(bar, pre);
  return wrap;
}

function renderBlocks(blocks: Block[], parent: Node, opts: MarkdownOptions, tight = false): void {
  for (const b of blocks) {
    switch (b.type) {
      case 'paragraph':
        if (tight) renderInline(b.children, parent);
        else {
          const p = el('p');
          renderInline(b.children, p);
          parent.appendChild(p);
        }
        break;
      case 'heading': {
        // Messages sit under the view's own headings: h1 in a message renders as h3, and so on.
        const tag = (['h3', 'h4', 'h5', 'h6', 'h6', 'h6'] as const)[b.level - 1]!;
        const h = el(tag, `md-h${b.level}`);
        renderInline(b.children, h);
        parent.appendChild(h);
        break;
      }
      case 'code':
        parent.appendChild(renderCode(b, opts));
        break;
      case 'list': {
        const list = el(b.ordered ? 'ol' : 'ul');
        if (b.ordered && b.start !== 1) list.setAttribute('start', String(b.start));
        for (const item of b.items) {
          const li = el('li');
          renderBlocks(item, li, opts, b.tight);
          list.appendChild(li);
        }
        parent.appendChild(list);
        break;
      }
      case 'blockquote': {
        const q = el('blockquote');
        renderBlocks(b.children, q, opts);
        parent.appendChild(q);
        break;
      }
      case 'table': {
        const wrap = el('div', 'md-table');
        const table = el('table');
        const head = el('thead');
        const hr = el('tr');
        b.header.forEach((cell, c) => {
          const th = el('th');
          const a = b.align[c];
          if (a) th.className = `align-${a}`;
          renderInline(cell, th);
          hr.appendChild(th);
        });
        head.appendChild(hr);
        const body = el('tbody');
        for (const row of b.rows) {
          const tr = el('tr');
          row.forEach((cell, c) => {
            const td = el('td');
            const a = b.align[c];
            if (a) td.className = `align-${a}`;
            renderInline(cell, td);
            tr.appendChild(td);
          });
          body.appendChild(tr);
        }
        table.append(head, body);
        wrap.appendChild(table);
        parent.appendChild(wrap);
        break;
      }
      case 'hr':
        parent.appendChild(el('hr'));
        break;
      default:
        b satisfies never;
    }
  }
}

/** Renders markdown text into a fragment of safe DOM nodes. */
export function renderMarkdown(text: string, opts: MarkdownOptions): DocumentFragment {
  const frag = document.createDocumentFragment();
  renderBlocks(parseBlocks(text), frag, opts);
  return frag;
}

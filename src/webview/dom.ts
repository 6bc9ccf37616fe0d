/**
 * A small element builder. Text goes in through text nodes only; attributes named `style` or
 * `on…` are refused (the CSP forbids inline styles and handlers, and model text must never
 * reach them). Styles are classes from the stylesheet or CSSOM properties.
 */

type Child = Node | string | null | undefined | false;
type Attr = string | number | boolean | null | undefined;

export interface Props {
  class?: string;
  /** Attributes; `false`, `null` and `undefined` leave one out, `true` sets it empty. */
  attrs?: Record<string, Attr>;
  on?: { [E in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[E]) => void };
}

/** Sets (or removes) an attribute, refusing inline styles and event handler attributes. */
export function setAttr(el: Element, name: string, value: Attr): void {
  if (/^on/i.test(name) || name.toLowerCase() === 'style') throw new Error(`refused attribute ${name}`);
  if (value === false || value === null || value === undefined) el.removeAttribute(name);
  else el.setAttribute(name, value === true ? '' : String(value));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) setAttr(el, k, v);
  if (props.on) {
    for (const [k, fn] of Object.entries(props.on)) if (fn) el.addEventListener(k, fn as EventListener);
  }
  append(el, children);
  return el;
}

/** Appends children (strings as text nodes). */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** A codicon, hidden from screen readers (the control around it carries the label). */
export function icon(name: string, extra = ''): HTMLSpanElement {
  return h('span', {
    class: `codicon codicon-${name}${extra ? ` ${extra}` : ''}`,
    attrs: { 'aria-hidden': 'true' },
  });
}

/** A button with a codicon and a label (shown, or only as tooltip and aria-label when `iconOnly`). */
export function button(
  label: string,
  opts: {
    icon?: string;
    iconOnly?: boolean;
    class?: string;
    onClick: (ev: MouseEvent) => void;
    title?: string;
  },
): HTMLButtonElement {
  const b = h(
    'button',
    {
      class: `${opts.iconOnly ? 'icon-button' : 'button'}${opts.class ? ` ${opts.class}` : ''}`,
      attrs: { type: 'button', title: opts.title ?? label, 'aria-label': opts.iconOnly ? label : null },
      on: { click: opts.onClick },
    },
    opts.icon ? icon(opts.icon) : null,
    opts.iconOnly ? null : h('span', { class: 'label' }, label),
  );
  return b;
}

/** Replaces all children of `el`. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

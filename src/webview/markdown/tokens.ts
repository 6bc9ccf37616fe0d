/**
 * The token tree of the markdown renderer. It has no kind for raw HTML: model text can only ever
 * become one of these nodes, and every string in them is rendered as text.
 */

/** A span inside a paragraph, heading, list item or table cell. */
export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'del'; children: Inline[] }
  /** `href` is always an absolute http(s) URL: see safeHref. */
  | { type: 'link'; href: string; children: Inline[] }
  | { type: 'br' };

/** Column alignment of a table. */
export type Align = 'left' | 'center' | 'right' | null;

/** A block of a message. */
export type Block =
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'code'; lang: string; text: string; closed: boolean }
  | { type: 'list'; ordered: boolean; start: number; tight: boolean; items: Block[][] }
  | { type: 'blockquote'; children: Block[] }
  | { type: 'table'; align: Align[]; header: Inline[][]; rows: Inline[][][] }
  | { type: 'hr' };

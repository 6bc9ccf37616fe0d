import assert from 'node:assert/strict';
import { parseBlocks } from '../../../src/webview/markdown/blocks';
import { parseInline } from '../../../src/webview/markdown/inline';
import { safeHref } from '../../../src/webview/markdown/safeHref';
import type { Block, Inline } from '../../../src/webview/markdown/tokens';

/** Every inline token of a block tree, depth first. */
function inlines(blocks: Block[]): Inline[] {
  const out: Inline[] = [];
  const walkInline = (ts: Inline[]) => {
    for (const t of ts) {
      out.push(t);
      if ('children' in t) walkInline(t.children);
    }
  };
  const walk = (bs: Block[]) => {
    for (const b of bs) {
      if (b.type === 'paragraph' || b.type === 'heading') walkInline(b.children);
      else if (b.type === 'list') b.items.forEach(walk);
      else if (b.type === 'blockquote') walk(b.children);
      else if (b.type === 'table') [b.header, ...b.rows].flat().forEach(walkInline);
    }
  };
  walk(blocks);
  return out;
}

function links(md: string): string[] {
  return inlines(parseBlocks(md)).flatMap((t) => (t.type === 'link' ? [t.href] : []));
}

/** The visible text of a block tree (code blocks included). */
function text(md: string): string {
  const parts: string[] = [];
  const walk = (bs: Block[]) => {
    for (const b of bs) {
      if (b.type === 'code') parts.push(b.text);
      else if (b.type === 'list') b.items.forEach(walk);
      else if (b.type === 'blockquote') walk(b.children);
    }
  };
  walk(parseBlocks(md));
  for (const t of inlines(parseBlocks(md))) if (t.type === 'text' || t.type === 'code') parts.push(t.text);
  return parts.join('');
}

const INLINE_KINDS = new Set(['text', 'code', 'strong', 'em', 'del', 'link', 'br']);
const BLOCK_KINDS = new Set(['paragraph', 'heading', 'code', 'list', 'blockquote', 'table', 'hr']);

function allBlocks(bs: Block[]): Block[] {
  return bs.flatMap((b) =>
    b.type === 'list'
      ? [b, ...b.items.flatMap(allBlocks)]
      : b.type === 'blockquote'
        ? [b, ...allBlocks(b.children)]
        : [b],
  );
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">click</a>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](java\tscript:alert(1))',
  '[x]( javascript:alert(1) )',
  '[x](<javascript:alert(1)>)',
  '[x](&#106;avascript:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](vbscript:msgbox(1))',
  '[x](file:///etc/passwd)',
  '[x](//evil.example/x)',
  '[x](/relative)',
  '![img](javascript:alert(1))',
  '<javascript:alert(1)>',
  '<data:text/html,<script>alert(1)</script>>',
  '[[x](javascript:alert(1))](https://ok.example)',
  '[a [b [c](javascript:1)] d](javascript:2)',
  '[**x**](javascript:alert(1) "title")',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;img src=x onerror=alert(1)&#62;',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '> <iframe src="javascript:alert(1)">',
  '- <svg onload=alert(1)>',
  '| a | b |\n|---|---|\n| <script>x</script> | [y](javascript:1) |',
  '<style>body{display:none}</style>',
  '[x](https://ok.example" onmouseover="alert(1))',
  '[x](https://ok.example/"><script>alert(1)</script>)',
  'https://ok.example/<script>',
  '\u0000<script>\u202e',
];

describe('markdown tokens', () => {
  describe('hostile input stays text', () => {
    for (const md of HOSTILE) {
      it(`renders ${JSON.stringify(md)} with only safe tokens`, () => {
        const blocks = parseBlocks(md);
        for (const b of allBlocks(blocks)) assert.ok(BLOCK_KINDS.has(b.type), `block kind ${b.type}`);
        for (const t of inlines(blocks)) {
          assert.ok(INLINE_KINDS.has(t.type), `inline kind ${t.type}`);
          if (t.type === 'link') {
            const u = new URL(t.href);
            assert.ok(u.protocol === 'https:' || u.protocol === 'http:', t.href);
            assert.ok(!/[<>"\s]/.test(t.href), `href is URL-encoded: ${t.href}`);
          }
        }
      });
    }

    it('keeps markup characters as visible text', () => {
      assert.equal(text('<script>alert(1)</script>'), '<script>alert(1)</script>');
      assert.equal(text('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
      assert.equal(text('&lt;script&gt;'), '<script>');
      assert.equal(text('&#60;b&#x3e;'), '<b>');
    });

    it('shows the label of a refused link as plain text, without its target', () => {
      assert.deepEqual(links('[x](javascript:alert(1))'), []);
      assert.equal(text('[x](javascript:alert(1))'), 'x');
      assert.equal(text('see [the docs](data:text/html,hi)'), 'see the docs');
    });

    it('lets links through only for absolute http and https URLs', () => {
      assert.deepEqual(links('[a](https://example.com/x?y=1#z) [b](http://example.com)'), [
        'https://example.com/x?y=1#z',
        'http://example.com/',
      ]);
      assert.deepEqual(links('<https://example.com/auto> and https://example.com/bare.'), [
        'https://example.com/auto',
        'https://example.com/bare',
      ]);
      assert.equal(safeHref('mailto:a@b.c'), null);
      assert.equal(safeHref('HTTPS://EXAMPLE.com'), 'https://example.com/');
      assert.equal(safeHref('https://'), null);
    });

    it('never nests a link inside a link', () => {
      const toks = inlines(parseBlocks('[[x](https://inner.example)](https://outer.example)'));
      const ls = toks.filter((t) => t.type === 'link');
      assert.equal(ls.length, 1);
      assert.equal(ls[0]!.type === 'link' && ls[0]!.href, 'https://outer.example/');
    });

    it('decodes only real entities, and invalid code points become U+FFFD', () => {
      assert.equal(text('&amp;&unknown;&#0;&#xD800;&#x1F600;'), '&&unknown;\ufffd\ufffd😀');
    });

    it('stays fast on pathological nesting', () => {
      const inputs = [
        '['.repeat(20000),
        '*a '.repeat(5000),
        '>'.repeat(3000) + ' x',
        '`'.repeat(5000),
        '- '.repeat(2000),
      ];
      for (const md of inputs) {
        const t0 = performance.now();
        parseBlocks(md);
        assert.ok(performance.now() - t0 < 1500, `slow on ${md.slice(0, 10)}…`);
      }
    });
  });

  describe('inline', () => {
    it('parses emphasis, strong, strikethrough and code spans', () => {
      assert.deepEqual(parseInline('a **b** *c* ~~d~~ `e`'), [
        { type: 'text', text: 'a ' },
        { type: 'strong', children: [{ type: 'text', text: 'b' }] },
        { type: 'text', text: ' ' },
        { type: 'em', children: [{ type: 'text', text: 'c' }] },
        { type: 'text', text: ' ' },
        { type: 'del', children: [{ type: 'text', text: 'd' }] },
        { type: 'text', text: ' ' },
        { type: 'code', text: 'e' },
      ]);
    });

    it('leaves snake_case and lone asterisks alone', () => {
      assert.deepEqual(parseInline('use my_var_name * 2'), [{ type: 'text', text: 'use my_var_name * 2' }]);
    });

    it('nests emphasis inside strong and the reverse', () => {
      assert.deepEqual(parseInline('***x***'), [
        { type: 'strong', children: [{ type: 'em', children: [{ type: 'text', text: 'x' }] }] },
      ]);
      assert.deepEqual(parseInline('*a **b** c*'), [
        {
          type: 'em',
          children: [
            { type: 'text', text: 'a ' },
            { type: 'strong', children: [{ type: 'text', text: 'b' }] },
            { type: 'text', text: ' c' },
          ],
        },
      ]);
    });

    it('does not parse markup inside code spans, and backslash escapes', () => {
      assert.deepEqual(parseInline('`**not** [x](https://a.b)` \\*lit\\*'), [
        { type: 'code', text: '**not** [x](https://a.b)' },
        { type: 'text', text: ' *lit*' },
      ]);
    });

    it('keeps nested brackets in a link label and balanced parentheses in its target', () => {
      assert.deepEqual(parseInline('[a [b] c](https://en.wikipedia.org/wiki/X_(y))'), [
        {
          type: 'link',
          href: 'https://en.wikipedia.org/wiki/X_(y)',
          children: [{ type: 'text', text: 'a [b] c' }],
        },
      ]);
    });

    it('keeps a single newline as a soft break; two trailing spaces or a backslash make a hard one', () => {
      const hard = [{ type: 'text', text: 'a' }, { type: 'br' }, { type: 'text', text: 'b' }];
      assert.deepEqual(parseInline('a\nb'), [{ type: 'text', text: 'a\nb' }]);
      assert.deepEqual(parseInline('a  \nb'), hard);
      assert.deepEqual(parseInline('a\\\nb'), hard);
    });
  });

  describe('blocks', () => {
    it('parses headings, paragraphs, rules and blockquotes', () => {
      const bs = parseBlocks('# Title\n\nSome text\nmore\n\n---\n\n> quoted\n> still');
      assert.deepEqual(
        bs.map((b) => b.type),
        ['heading', 'paragraph', 'hr', 'blockquote'],
      );
      assert.equal(bs[0]!.type === 'heading' && bs[0]!.level, 1);
    });

    it('parses fenced code with its language, and an unclosed fence runs to the end (streaming)', () => {
      assert.deepEqual(parseBlocks('```ts\nconst a = 1;\n```\nafter'), [
        { type: 'code', lang: 'ts', text: 'const a = 1;', closed: true },
        { type: 'paragraph', children: [{ type: 'text', text: 'after' }] },
      ]);
      assert.deepEqual(parseBlocks('~~~\nx\n# not a heading'), [
        { type: 'code', lang: '', text: 'x\n# not a heading', closed: false },
      ]);
    });

    it('parses nested lists, ordered starts and tight vs loose', () => {
      const [list] = parseBlocks('3. one\n4. two\n   - a\n   - b\n5. three');
      assert.ok(list?.type === 'list');
      assert.equal(list.ordered, true);
      assert.equal(list.start, 3);
      assert.equal(list.tight, true);
      assert.equal(list.items.length, 3);
      assert.deepEqual(
        list.items[1]!.map((b) => b.type),
        ['paragraph', 'list'],
      );
      const [loose] = parseBlocks('- a\n\n- b');
      assert.ok(loose?.type === 'list' && !loose.tight && loose.items.length === 2);
    });

    it('ends a list at a different bullet', () => {
      const bs = parseBlocks('- a\n* b');
      assert.equal(bs.length, 2);
    });

    it('parses GFM tables with alignment and escaped pipes', () => {
      const [t] = parseBlocks('| a | b |\n|:--|--:|\n| 1 \\| 2 | `x|y` |');
      assert.ok(t?.type === 'table');
      assert.deepEqual(t.align, ['left', 'right']);
      assert.deepEqual(t.rows[0]![0], [{ type: 'text', text: '1 | 2' }]);
      assert.deepEqual(t.rows[0]![1], [{ type: 'code', text: 'x|y' }]);
    });
  });
});

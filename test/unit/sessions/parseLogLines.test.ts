/**
 * `parseLog` (src/core/sessions/parseLog.ts) line by line: what each kind of line becomes, what is
 * reported and with which line number, the torn tail against a whole last line, and the sink the
 * light scan plugs in.
 */
import assert from 'node:assert/strict';
import { zodSummary } from '../../../src/core/sessions/convert';
import { LOG_VERSION, type SessionEvent, sessionEventSchema } from '../../../src/core/sessions/events';
import { format0Record } from '../../../src/core/sessions/format0';
import { classify, type LogSink, parseLog } from '../../../src/core/sessions/parseLog';
import { ProblemList } from '../../../src/core/sessions/problems';

const AT = '2026-03-01T09:00:00.000Z';
const line = (body: Record<string, unknown>, v = LOG_VERSION) =>
  JSON.stringify(sessionEventSchema.parse({ v, at: AT, ...body }));
const created = line({
  type: 'session.created',
  sessionId: 's',
  title: 'T',
  provider: 'openai',
  model: 'gpt-4o',
});
const started = (i: number, v = 1) => line({ type: 'turn.started', turnId: `t${i}`, index: i }, v);
const meta0 = '{"type":"meta","sessionId":"s","title":"Old"}';

function parse(text: string | Buffer, firstLine = 0, sink?: LogSink) {
  const problems = new ProblemList('f.jsonl');
  const parsed = parseLog(
    Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'),
    problems,
    sink,
    firstLine,
  );
  return { parsed, problems: problems.done().map((p) => `${p.kind}: ${p.message}`) };
}

describe('parsing a log line by line', () => {
  it('takes events, format-0 records and blank lines, and reports every other line by its number', () => {
    const bad0 = '{"type":"turn","turn":"x"}';
    const why0 = zodSummary(format0Record.safeParse(JSON.parse(bad0)).error!);
    const badV1 = '{"v":1,"at":"x","type":"turn.started"}';
    const whyV1 = zodSummary(sessionEventSchema.safeParse(JSON.parse(badV1)).error!);
    const text = [
      created, // 1
      '', // 2
      started(0), // 3
      '   ', // 4
      'not json', // 5
      '[1]', // 6
      'null', // 7
      '{"a":1}', // 8
      bad0, // 9
      badV1, // 10
      '{"v":1.5,"at":"x","type":"z"}', // 11
      '{"v":"3","at":"x","type":"z"}', // 12
      meta0, // 13
      '"text"', // 14
      '{"type":"other"}', // 15
      '',
    ].join('\n');
    const { parsed, problems } = parse(text);
    assert.deepEqual(problems, [
      'bad-line: line 5 skipped: not JSON',
      'bad-line: line 6 skipped: not a JSON object',
      'bad-line: line 7 skipped: not a JSON object',
      'bad-line: line 8 skipped: not a session event',
      `bad-line: line 9 skipped: format 0: ${why0}`,
      `bad-line: line 10 skipped: ${whyV1}`,
      `bad-line: line 11 skipped: ${zodSummary(sessionEventSchema.safeParse({ v: 1.5, at: 'x', type: 'z' }).error!)}`,
      `bad-line: line 12 skipped: ${zodSummary(sessionEventSchema.safeParse({ v: '3', at: 'x', type: 'z' }).error!)}`,
      'bad-line: line 14 skipped: not a JSON object',
      'bad-line: line 15 skipped: not a session event',
    ]);
    assert.deepEqual(
      parsed.events.map((e) => e.type),
      ['session.created', 'turn.started'],
    );
    assert.equal(parsed.eventCount, 2);
    assert.deepEqual(parsed.format0, [
      { type: 'meta', sessionId: 's', title: 'Old', provider: '', model: '' },
    ]);
    assert.equal(parsed.newestVersion, 1);
    assert.equal(parsed.newerSkipped, 0);
    assert.equal(parsed.lines, 13, 'non-blank lines');
    assert.equal(parsed.lastWholeLine, 15);
    assert.equal(parsed.goodLength, Buffer.byteLength(text));
    assert.equal(parsed.torn, null);
    assert.equal(parsed.needsNewline, false);
  });

  it('decodes a non-ASCII line as UTF-8, and reports one that is not UTF-8', () => {
    const msg = line({ type: 'message', turnId: 't0', message: { role: 'user', content: 'héllo ✓' } });
    const buf = Buffer.concat([
      Buffer.from(`${created}\n${msg}\n`, 'utf8'),
      Buffer.from('{"v":1,"at":"', 'latin1'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n', 'latin1'),
    ]);
    const { parsed, problems } = parse(buf);
    assert.deepEqual(problems, ['bad-line: line 3 skipped: not UTF-8 text']);
    const m = parsed.events[1] as Extract<SessionEvent, { type: 'message' }>;
    assert.deepEqual(m.message, { role: 'user', content: 'héllo ✓' });
  });

  it('reports a line of bytes that are all above ASCII as not UTF-8, and counts a blank last line', () => {
    const buf = Buffer.concat([Buffer.from(`${created}\n`), Buffer.from([0xff, 0xfe, 0x0a, 0x0a])]);
    const { parsed, problems } = parse(buf);
    assert.deepEqual(problems, ['bad-line: line 2 skipped: not UTF-8 text']);
    assert.equal(parsed.lastWholeLine, 3);
    assert.equal(parsed.lines, 2);
    assert.equal(parsed.goodLength, buf.length);
  });

  it('reads lines of a newer version that the schema accepts, and counts those it cannot', () => {
    const future = (v: number) => `{"v":${v},"at":"${AT}","type":"future.thing"}`;
    const { parsed, problems } = parse([created, future(4), started(1, 3), future(2), ''].join('\n'));
    assert.equal(parsed.newestVersion, 4);
    assert.equal(parsed.newerSkipped, 2);
    assert.deepEqual(
      parsed.events.map((e) => e.v),
      [1, 3],
    );
    assert.deepEqual(problems, [
      'newer-version: 2 lines of log version 4 could not be read by this build (version 1); they stay in the file',
    ]);
    // The newest version is the highest seen, in whatever order the lines come.
    assert.equal(parse([started(1, 3), created, ''].join('\n')).parsed.newestVersion, 3);
    const only = parse(`${future(2)}\n${created}\n`);
    assert.equal(only.parsed.newestVersion, 2);
    assert.deepEqual(only.problems, [
      'newer-version: 1 lines of log version 2 could not be read by this build (version 1); they stay in the file',
    ]);
    assert.deepEqual(classify({ v: 2, at: AT, type: 'future.thing' }), { kind: 'newer-unknown', version: 2 });
    assert.equal(classify({ v: 1, at: AT, type: 'future.thing' }).kind, 'bad');
    assert.equal(classify({ v: 2.5, at: AT, type: 'future.thing' }).kind, 'bad');
  });

  it('counts lines after a checkpoint from where it ends', () => {
    const { parsed, problems } = parse(`${started(5)}\n\nnope\n${started(6)}\n`, 100);
    assert.deepEqual(problems, ['bad-line: line 103 skipped: not JSON']);
    assert.equal(parsed.lastWholeLine, 104);
    assert.equal(parsed.lines, 3);
    const empty = parse('', 100).parsed;
    assert.equal(empty.lastWholeLine, 100);
    assert.equal(empty.lines, 0);
    assert.equal(empty.goodLength, 0);
    assert.equal(empty.needsNewline, false);
    assert.equal(empty.torn, null);
  });

  describe('the last line without its newline', () => {
    it('is torn when it is not a whole record: kept out, not reported here', () => {
      const text = `${created}\n${started(0)}\n{"v":1,"at`;
      const { parsed, problems } = parse(text, 7);
      assert.deepEqual(problems, []);
      assert.deepEqual(parsed.torn, Buffer.from('{"v":1,"at'));
      assert.equal(parsed.needsNewline, false);
      assert.equal(parsed.goodLength, text.length - 10);
      assert.equal(parsed.lines, 3);
      assert.equal(parsed.lastWholeLine, 9);
      assert.equal(parsed.eventCount, 2);
    });

    it('counts when it is a whole event, a format-0 record or a newer line', () => {
      for (const [last, check] of [
        [started(1), (p: ReturnType<typeof parse>['parsed']) => assert.equal(p.events.length, 2)],
        [meta0, (p: ReturnType<typeof parse>['parsed']) => assert.equal(p.format0.length, 1)],
        [
          `{"v":2,"at":"${AT}","type":"x.y"}`,
          (p: ReturnType<typeof parse>['parsed']) => assert.equal(p.newerSkipped, 1),
        ],
      ] as const) {
        const text = `${created}\n${last}`;
        const { parsed } = parse(text);
        assert.equal(parsed.torn, null, last);
        assert.equal(parsed.needsNewline, true, last);
        assert.equal(parsed.goodLength, text.length, last);
        assert.equal(parsed.lines, 2, last);
        assert.equal(parsed.lastWholeLine, 1, last);
        check(parsed);
      }
    });

    it('is only blanks: nothing torn, only a newline to add', () => {
      const text = `${created}\n  `;
      const { parsed, problems } = parse(text);
      assert.deepEqual(problems, []);
      assert.equal(parsed.torn, null);
      assert.equal(parsed.needsNewline, true);
      assert.equal(parsed.goodLength, text.length);
      assert.equal(parsed.lines, 1);
    });

    it('is the whole file', () => {
      const { parsed } = parse('{"v":1');
      assert.deepEqual(parsed.torn, Buffer.from('{"v":1'));
      assert.equal(parsed.goodLength, 0);
      assert.equal(parsed.lines, 1);
      assert.equal(parsed.lastWholeLine, 0);
      assert.equal(parsed.eventCount, 0);
    });
  });

  it('offers every complete line to a sink first, and gives it the events of the others', () => {
    const offered: string[] = [];
    const events: SessionEvent[] = [];
    const sink: LogSink = {
      light(text, start, end) {
        const l = text.slice(start, end);
        offered.push(l);
        if (l === started(0)) return 1;
        if (l === started(1, 2)) return 2;
        return 0;
      },
      event: (e) => events.push(e),
    };
    const text = `${created}\n${started(0)}\n\n${started(1, 2)}\nbad\n${started(2)}`;
    const { parsed, problems } = parse(text, 0, sink);
    assert.deepEqual(offered, [created, started(0), '', started(1, 2), 'bad']);
    assert.deepEqual(
      events.map((e) => e.type),
      ['session.created', 'turn.started'],
    );
    assert.deepEqual(parsed.events, []);
    assert.equal(parsed.eventCount, 4);
    assert.equal(parsed.newestVersion, 2);
    assert.equal(parsed.lines, 5);
    assert.equal(parsed.needsNewline, true);
    assert.deepEqual(problems, ['bad-line: line 5 skipped: not JSON']);
  });
});

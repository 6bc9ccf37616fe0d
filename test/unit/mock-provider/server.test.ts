/** The server itself: control API over HTTP, routing, request validation, loopback only, the CLI. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type MockLogEntry, startMockProvider } from '../../../src/mock-provider';
import { modelFor, run, useMockServer } from './helpers';

async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

describe('mock provider: server and control API', () => {
  const ctx = useMockServer();

  it('POST /_mock/script queues scripts, GET /_mock/log returns what was served, POST /_mock/reset clears both', async () => {
    const queued = await postJson(`${ctx.server.url}/_mock/script`, {
      provider: 'anthropic',
      scripts: [{ events: [{ type: 'text', text: 'one' }] }, { events: [{ type: 'text', text: 'two' }] }],
    });
    assert.deepEqual(queued, { status: 200, json: { queued: 2 }, headers: queued.headers });
    assert.equal((await run(modelFor(ctx.server, 'anthropic'))).text, 'one');
    assert.equal((await run(modelFor(ctx.server, 'anthropic'))).text, 'two');
    // Queue empty: the demo agent answers.
    assert.match((await run(modelFor(ctx.server, 'anthropic'))).text, /^Hello from the Tally mock model/);

    const log = (await (await fetch(`${ctx.server.url}/_mock/log`)).json()) as MockLogEntry[];
    assert.deepEqual(
      log.map((e) => [e.seq, e.provider, e.model, e.path, e.source, e.status, e.outcome]),
      [
        [1, 'anthropic', 'claude-sonnet-4-5', '/v1/messages', 'script', 200, 'completed'],
        [2, 'anthropic', 'claude-sonnet-4-5', '/v1/messages', 'script', 200, 'completed'],
        [3, 'anthropic', 'claude-sonnet-4-5', '/v1/messages', 'demo', 200, 'completed'],
      ],
    );
    assert.deepEqual(log, JSON.parse(JSON.stringify(ctx.server.log)));
    assert.equal(log[0]!.id, 'msg_mock0001');
    assert.ok(log[0]!.endedAt! >= log[0]!.startedAt);

    await postJson(`${ctx.server.url}/_mock/script`, { provider: 'google', script: { events: [] } });
    assert.deepEqual((await postJson(`${ctx.server.url}/_mock/reset`, {})).json, { ok: true });
    assert.deepEqual(ctx.server.log, []);
    assert.match((await run(modelFor(ctx.server, 'google'))).text, /^Hello from the Tally mock model/);
  });

  it('a script for "any" serves whichever provider asks first; a provider’s own queue goes first', async () => {
    ctx.server.enqueue('any', { events: [{ type: 'text', text: 'from any' }] });
    ctx.server.enqueue('openai-chat', { events: [{ type: 'text', text: 'from chat' }] });
    assert.equal((await run(modelFor(ctx.server, 'openai-chat'))).text, 'from chat');
    assert.equal((await run(modelFor(ctx.server, 'google'))).text, 'from any');
  });

  it('rejects invalid scripts with a readable message', async () => {
    const bad = await postJson(`${ctx.server.url}/_mock/script`, { provider: 'nope', script: {} });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: { message: string } }).error.message, /provider/);
    const badEvent = await postJson(`${ctx.server.url}/_mock/script`, {
      provider: 'anthropic',
      script: { events: [{ type: 'teleport' }] },
    });
    assert.equal(badEvent.status, 400);
    assert.equal((await postJson(`${ctx.server.url}/_mock/script`, '{nope')).status, 400);
    assert.throws(() => ctx.server.enqueue('anthropic', { usage: { inputNoCache: -1 } }));
  });

  it('answers unknown routes with 404, bad requests with the provider’s 400, unary requests with JSON', async () => {
    assert.equal((await fetch(`${ctx.server.url}/v2/whatever`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${ctx.server.url}/v1/messages`)).status, 404);

    const badJson = await postJson(`${ctx.server.url}/v1/messages`, '{"model":');
    assert.equal(badJson.status, 400);
    assert.equal(
      (badJson.json as { type: string; error: { type: string } }).error.type,
      'invalid_request_error',
    );

    const noModel = await postJson(`${ctx.server.url}/v1/chat/completions`, { messages: [], stream: true });
    assert.deepEqual(
      (noModel.json as { error: { message: string } }).error.message,
      'you must provide a model parameter',
    );

    const unary = await postJson(`${ctx.server.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
    assert.equal(unary.status, 200);
    assert.equal(unary.headers.get('content-type'), 'application/json');
    assert.deepEqual(
      ctx.server.log.map((e) => [e.provider, e.status, e.outcome]),
      [
        ['anthropic', 400, 'http-error'],
        ['openai-chat', 400, 'http-error'],
        ['google', 200, 'completed'],
      ],
    );
  });

  it('resolves Responses item_reference from earlier outputs; an unknown one is an assistant turn', async () => {
    const post = (input: unknown) =>
      fetch(`${ctx.server.url}/v1/responses`, {
        method: 'POST',
        body: JSON.stringify({ model: 'gpt-5-mini', stream: true, input }),
      }).then((r) => r.text());
    await post([{ role: 'user', content: 'first [[xss]]' }]);
    await post([
      { role: 'user', content: 'first [[xss]]' },
      { type: 'item_reference', id: 'msg_mock0001_0' },
      { type: 'item_reference', id: 'msg_gone' },
    ]);
    const [, second] = ctx.server.log;
    assert.deepEqual(
      [second!.request.messages, second!.request.lastRole, second!.magic],
      [3, 'assistant', ['[[xss]]']],
    );
  });

  it('serves SSE with each wire’s framing', async () => {
    const res = await fetch(
      `${ctx.server.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`,
      {
        method: 'POST',
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      },
    );
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const body = await res.text();
    assert.ok(body.startsWith('data: {"candidates"'));
    assert.ok(body.endsWith('}\r\n\r\n'));

    const anthropic = await (
      await fetch(`${ctx.server.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({ model: 'claude', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      })
    ).text();
    assert.ok(anthropic.startsWith('event: message_start\ndata: {"type":"message_start"'));
    assert.ok(anthropic.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));

    const chat = await (
      await fetch(`${ctx.server.url}/compat/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'llama', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      })
    ).text();
    assert.ok(chat.endsWith('data: [DONE]\n\n'));
    // Without stream_options.include_usage, no usage chunk.
    assert.equal(ctx.server.log.at(-1)!.usageReports.length, 0);
  });

  it('listens on loopback only, on the port asked for', async () => {
    await assert.rejects(startMockProvider({ host: '0.0.0.0' }), /loopback only/);
    const port = ctx.server.port;
    await assert.rejects(startMockProvider({ port }), /EADDRINUSE/);
    const other = await startMockProvider({ host: 'localhost' });
    try {
      assert.match(other.url, /^http:\/\/localhost:\d+$/);
      assert.equal(other.baseURLs.google, `${other.url}/v1beta`);
      assert.equal(other.baseURLs['openai-compatible'], `${other.url}/compat/v1`);
    } finally {
      await other.close();
    }
  });

  it('close() drops a stream stalled forever', async () => {
    const server = await startMockProvider();
    server.enqueue('openai-chat', { events: [{ type: 'text', text: 'a' }, { type: 'stall' }] });
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: true, messages: [] }),
    });
    const reading = res.text().catch((e: unknown) => `failed: ${(e as Error).message}`);
    await server.close();
    assert.equal(await reading, 'failed: terminated');
    assert.equal(server.log[0]!.outcome, 'client-aborted');
  });

  it('CLI prints the base URL of each provider and stops on SIGTERM', async function () {
    this.timeout(15000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/mock-provider/main.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    while (!out.includes('log: ')) {
      const [chunk] = (await once(child.stdout, 'data')) as [string];
      out += chunk;
    }
    const port = /127\.0\.0\.1:(\d+)/.exec(out)![1];
    for (const line of [
      `openai-responses: http://127.0.0.1:${port}/v1`,
      `openai-chat: http://127.0.0.1:${port}/v1`,
      `anthropic: http://127.0.0.1:${port}/v1`,
      `google: http://127.0.0.1:${port}/v1beta`,
      `openai-compatible: http://127.0.0.1:${port}/compat/v1`,
      `openai: http://127.0.0.1:${port}/v1`,
    ]) {
      assert.ok(out.includes(line), line);
    }
    const health = await fetch(`http://127.0.0.1:${port}/_mock/health`);
    assert.deepEqual(await health.json(), { ok: true });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});

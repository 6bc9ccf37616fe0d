import { API_KEY_ENV, createModel, ProviderConfigError } from '../../core/agent/providers';
import { type AgentEvent, runTurn } from '../../core/agent/turn';
import { PathError, Workspace } from '../../core/agent/workspace';
import { DEFAULT_MAX_OUTPUT_TOKENS } from '../../core/budget/preflight';
import { titleFromPrompt } from '../../core/chat/title';
import { sessionStats } from '../../core/report/stats';
import { telemetryEnabledInEnv } from '../../core/telemetry/config';
import { isProviderKind, PROVIDER_KINDS } from '../../core/usage/providers';
import { CliError, parse, usageError } from '../args';
import { BUDGET_FLAGS, budgetGuard, budgetsFrom, readBudgetSpend, warnOnce } from '../budget';
import { openStoreForWriting, pricingFrom } from '../context';
import { stderrLogger } from '../output';
import { exportAfterTurn } from './exportOtel';

/** `tally run … "prompt"`: one turn headless, streamed to stdout, recorded in the storage folder. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    storage: { type: 'string' },
    workspace: { type: 'string' },
    provider: { type: 'string' },
    model: { type: 'string' },
    'base-url': { type: 'string' },
    session: { type: 'string' },
    prices: { type: 'string' },
    json: { type: 'boolean' },
    'allow-writes': { type: 'boolean' },
    'allow-commands': { type: 'boolean' },
    'max-steps': { type: 'string' },
    timeout: { type: 'string' },
    'max-output-tokens': { type: 'string' },
    'over-budget': { type: 'boolean' },
    ...BUDGET_FLAGS,
  });
  if (positionals.length !== 1 || !positionals[0]!.trim())
    throw usageError('run takes one prompt (quote it)');
  if (!values.storage) throw usageError('run needs --storage DIR');
  const provider = values.provider;
  if (!provider) throw usageError(`run needs --provider (${PROVIDER_KINDS.join(', ')})`);
  if (!isProviderKind(provider)) throw usageError(`--provider must be one of ${PROVIDER_KINDS.join(', ')}`);
  if (!values.model) throw usageError('run needs --model');
  const maxSteps = positiveInt(values['max-steps'], '--max-steps') ?? 25;
  const timeoutS = positiveInt(values.timeout, '--timeout');
  const maxOutputTokens = positiveInt(values['max-output-tokens'], '--max-output-tokens');
  const budgets = await budgetsFrom(values);
  const prompt = positionals[0]!;
  const apiKey = process.env[API_KEY_ENV[provider]];
  const baseURL = values['base-url'];

  // Everything that can be checked is checked before anything is written.
  let model: ReturnType<typeof createModel>;
  try {
    model = createModel({ kind: provider, model: values.model, apiKey, ...(baseURL ? { baseURL } : {}) });
  } catch (e) {
    if (e instanceof ProviderConfigError) throw new CliError(e.message);
    throw e;
  }
  const workspace = await Workspace.open(values.workspace ?? process.cwd()).catch((e: Error) => {
    throw new CliError(e instanceof PathError ? e.message : `bad --workspace: ${e.message}`);
  });
  const pricing = await pricingFrom(values.prices);
  const store = await openStoreForWriting(values.storage, pricing);

  const writer = values.session
    ? await store.openWriter(values.session).catch((e: Error) => {
        throw new CliError(e.message);
      })
    : await store
        .create({ title: titleFromPrompt(prompt), provider, model: values.model })
        .catch((e: Error) => {
          throw new CliError(e.message);
        });
  const sessionId = writer.state.sessionId;
  process.stderr.write(`session ${sessionId}\n`);
  // Budgets: every request is checked before it goes out (exit 3 when one would cross a limit).
  const tz = values.tz ?? null;
  const spend = budgets ? await readBudgetSpend(store.dir, sessionId, pricing) : null;
  const guard =
    budgets && spend
      ? budgetGuard({
          budgets,
          spend,
          storageDir: store.dir,
          state: () => writer.state,
          tz,
          overBudget: values['over-budget'] ?? false,
        })
      : null;

  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nstopping…\n');
    controller.abort(new Error('stopped by the user'));
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const log = stderrLogger();
  let lastError: string | undefined;
  const onEvent = (e: AgentEvent) => {
    if (values.json) return;
    if (e.type === 'text') process.stdout.write(e.text);
    else if (e.type === 'tool-call')
      process.stderr.write(`\n[tool] ${e.call.toolName} ${JSON.stringify(e.call.input)}\n`);
    else if (e.type === 'tool-result' && e.isError)
      process.stderr.write(`[tool] ${e.toolName}: ${e.output}\n`);
    else if (e.type === 'request-end' && e.status === 'failed') {
      lastError = e.error;
      process.stderr.write(`\ntally: ${e.error}\n`);
    }
  };
  let result: Awaited<ReturnType<typeof runTurn>>;
  try {
    result = await runTurn({
      writer,
      model,
      provider,
      modelId: values.model,
      prompt,
      workspace,
      policy: {
        allowWrites: values['allow-writes'] ?? false,
        allowCommands: values['allow-commands'] ?? false,
      },
      // The flags are the user's yes: without them the tools are not offered at all.
      approve: async () => true,
      price: (usage, reported) => pricing.price(usage, values.model!, provider, reported),
      signal: controller.signal,
      maxSteps,
      ...(timeoutS !== undefined ? { idleTimeoutMs: timeoutS * 1000 } : {}),
      // With a budget, a request's output is capped so its pre-flight estimate is a real bound.
      ...(guard
        ? {
            beforeRequest: guard.beforeRequest,
            maxOutputTokens: maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
          }
        : maxOutputTokens
          ? { maxOutputTokens }
          : {}),
      onEvent,
      log,
      secrets: apiKey ? [apiKey] : [],
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await writer.close();
  }
  // Opt-in (TALLY_OTEL=1): the turn's requests go to the OpenTelemetry collector once recorded.
  if (telemetryEnabledInEnv(process.env)) await exportAfterTurn(store.dir, pricing);

  const stats = sessionStats(writer.state, pricing.contextLimit(values.model, provider));
  if (values.json) {
    const turn = stats.turns.find((t) => t.turnId === result.turnId);
    process.stdout.write(
      `${JSON.stringify(
        {
          sessionId,
          turnId: result.turnId,
          status: result.status,
          text: result.text,
          ...(result.error ? { error: result.error } : {}),
          turn,
          total: stats.total,
          contextWindow: stats.contextWindow,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (result.text && !result.text.endsWith('\n')) process.stdout.write('\n');
    if (result.error && result.status === 'failed' && result.error !== lastError) {
      process.stderr.write(`tally: ${result.error}\n`);
    }
  }
  if (budgets && spend) await warnOnce(store.dir, spend.status(budgets, writer.state, tz));
  const budgetStop = guard?.stopped();
  if (budgetStop) {
    process.stderr.write(`tally: ${budgetStop}. Pass --over-budget to send it anyway.\n`);
    return 3;
  }
  return result.status === 'completed' ? 0 : result.status === 'interrupted' ? 130 : 1;
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`${flag} must be a positive whole number`);
  return n;
}

/**
 * User price overrides: a JSON file (also the CLI's `--prices FILE`) of exactly this shape:
 *
 *   {"models": {"<model id>": {"inputPerMTok": 3, "outputPerMTok": 15, "cacheReadPerMTok": 0.3,
 *     "cacheWritePerMTok": 3.75, "cacheWrite1hPerMTok": 6, "contextWindow": 200000}}}
 *
 * Prices are USD per million tokens. An entry with prices needs at least input and output; an
 * entry with only `contextWindow` sets the context limit and leaves prices to the catalog.
 * Overrides win over the catalog. A bad file is one clear line: which file, which field, what to do.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

// Real catalog prices go down to $0.002/MTok; a positive price below $0.001 is almost surely per token.
const SMALLEST_PER_MTOK = 0.001;
const LARGEST_PER_MTOK = 10_000;
const LARGEST_CONTEXT = 1_000_000_000;

const perMTok = z
  .number({ error: 'expected a number of USD per million tokens (e.g. 3 for $3/MTok)' })
  .finite()
  .nonnegative({ error: 'a price cannot be negative' })
  .max(LARGEST_PER_MTOK, { error: `above $${LARGEST_PER_MTOK}/MTok; give USD per million tokens` })
  .refine((v) => v === 0 || v >= SMALLEST_PER_MTOK, {
    error: 'looks like a price per token; give USD per million tokens (e.g. 3 for $3/MTok)',
  });

const modelOverrideSchema = z
  .strictObject(
    {
      inputPerMTok: perMTok.optional(),
      outputPerMTok: perMTok.optional(),
      cacheReadPerMTok: perMTok.optional(),
      cacheWritePerMTok: perMTok.optional(),
      cacheWrite1hPerMTok: perMTok.optional(),
      contextWindow: z
        .number({ error: 'expected a whole number of tokens' }) // also the message of .int()
        .int()
        .positive({ error: 'expected a positive number of tokens' })
        .max(LARGEST_CONTEXT, { error: `above ${LARGEST_CONTEXT} tokens; give the context window in tokens` })
        .optional(),
    },
    { error: 'expected an object such as {"inputPerMTok": 3, "outputPerMTok": 15}' },
  )
  .superRefine((o, ctx) => {
    const hasPrice = [o.cacheReadPerMTok, o.cacheWritePerMTok, o.cacheWrite1hPerMTok].some(
      (p) => p !== undefined,
    );
    for (const key of ['inputPerMTok', 'outputPerMTok'] as const) {
      if (
        o[key] === undefined &&
        (hasPrice || o.inputPerMTok !== undefined || o.outputPerMTok !== undefined)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'missing: an entry with prices needs input and output',
        });
      }
    }
    if (Object.keys(o).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'empty entry: give prices, a contextWindow, or remove it',
      });
    }
  });

const priceOverridesSchema = z.strictObject(
  {
    models: z.record(z.string().min(1, { error: 'a model id cannot be empty' }), modelOverrideSchema, {
      error: 'expected an object of model ids',
    }),
  },
  { error: 'expected a JSON object' },
);

/** One model's override. */
export type ModelOverride = z.infer<typeof modelOverrideSchema>;

/** A validated overrides file. */
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;

/** No overrides. */
export const NO_OVERRIDES: PriceOverrides = Object.freeze({ models: Object.freeze({}) }) as PriceOverrides;

/** A price file that cannot be used; `message` is the one line to show. */
export class PriceFileError extends Error {
  override name = 'PriceFileError';
}

/** Validates an overrides file's text; `file` names it in the error. Throws `PriceFileError`. */
export function parsePriceOverrides(text: string, file: string): PriceOverrides {
  let json: unknown;
  try {
    // Some Windows editors save a byte-order mark first; JSON.parse would refuse it.
    json = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new PriceFileError(
      `Bad price file ${file}: not valid JSON (${(err as Error).message}); fix its syntax.`,
    );
  }
  const parsed = priceOverridesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = fieldPath(issue.path);
  const what =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} ` +
        `(allowed: ${where === '' ? '"models"' : Object.keys(modelOverrideSchema.shape).join(', ')})`
      : issue.code === 'invalid_key'
        ? issue.issues[0]!.message // the model id's own message, not the record's
        : issue.message;
  const hint =
    issue.path.length <= 1
      ? 'the file must look like {"models": {"<model id>": {"inputPerMTok": 3, "outputPerMTok": 15}}}'
      : 'fix or remove it';
  throw new PriceFileError(`Bad price file ${file}: ${where === '' ? '' : `${where}: `}${what}; ${hint}.`);
}

/** Reads and validates an overrides file. Throws `PriceFileError` (unreadable or invalid). */
export async function readPriceOverrides(file: string): Promise<PriceOverrides> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new PriceFileError(`Bad price file ${file}: cannot read it (${why}); check the path.`);
  }
  return parsePriceOverrides(text, file);
}

/** `models["gpt-4o"].inputPerMTok` for a zod issue path (every path below the top starts at `models`). */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (i === 1 ? `[${JSON.stringify(String(p))}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

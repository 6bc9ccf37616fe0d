import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PriceFileError, parsePriceOverrides, readPriceOverrides } from '../../../src/core/pricing/overrides';

const fixture = (name: string) => join(__dirname, '..', '..', 'fixtures', 'prices', name);

/** The one-line error a bad file gives. */
async function errorOf(name: string): Promise<string> {
  try {
    await readPriceOverrides(fixture(name));
  } catch (err) {
    assert.ok(err instanceof PriceFileError, `not a PriceFileError: ${err}`);
    assert.equal(err.name, 'PriceFileError');
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.ok(err.message.includes(fixture(name)), 'names the file');
    return err.message;
  }
  return assert.fail('the file was accepted');
}

/** The message that a price file with this text is refused with. */
function refusal(text: string): string {
  try {
    parsePriceOverrides(text, 'p.json');
  } catch (err) {
    assert.ok(err instanceof PriceFileError, `not a PriceFileError: ${err}`);
    return err.message;
  }
  return assert.fail(`accepted: ${text}`);
}

const SHAPE = 'the file must look like {"models": {"<model id>": {"inputPerMTok": 3, "outputPerMTok": 15}}}';

describe('price override file', () => {
  it('reads a good file', async () => {
    const o = await readPriceOverrides(fixture('good.json'));
    assert.deepEqual(o.models['gpt-4o'], { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 1 });
    assert.deepEqual(o.models['claude-sonnet-4-5'], { contextWindow: 1000000 });
  });

  it('a price that looks per token (not per million) is refused, saying so', async () => {
    assert.match(
      await errorOf('bad-per-token.json'),
      /models\["gpt-4o"\]\.inputPerMTok: looks like a price per token/,
    );
  });

  it('a misspelt field is refused instead of silently ignored', async () => {
    const message = await errorOf('bad-unknown-field.json');
    assert.match(
      message,
      /models\["gpt-4o"\]: unknown field "inputPerMtok" \(allowed: inputPerMTok, outputPerMTok/,
    );
  });

  it('an entry with an input price but no output price is refused', async () => {
    assert.match(await errorOf('bad-missing-output.json'), /models\["gpt-4o"\]\.outputPerMTok: missing/);
  });

  it('a file without "models" says what shape is expected', async () => {
    assert.equal(
      await errorOf('bad-shape.json'),
      `Bad price file ${fixture('bad-shape.json')}: models: expected an object of model ids; ${SHAPE}.`,
    );
  });

  it('a file that is not a JSON object, or has fields besides "models", says what shape is expected', () => {
    assert.equal(refusal('[]'), `Bad price file p.json: expected a JSON object; ${SHAPE}.`);
    assert.equal(
      refusal('{"models": {}, "currency": "EUR"}'),
      `Bad price file p.json: unknown field "currency" (allowed: "models"); ${SHAPE}.`,
    );
  });

  it('several misspelt fields are all named, with the fields allowed', () => {
    assert.equal(
      refusal('{"models": {"gpt-4o": {"input": 2, "output": 8}}}'),
      'Bad price file p.json: models["gpt-4o"]: unknown fields "input", "output" (allowed: inputPerMTok, ' +
        'outputPerMTok, cacheReadPerMTok, cacheWritePerMTok, cacheWrite1hPerMTok, contextWindow); fix or remove it.',
    );
  });

  it('an entry with any price but no input or output price is refused, naming the missing one', () => {
    const missingInput =
      'Bad price file p.json: models["x"].inputPerMTok: missing: an entry with prices needs input and output; fix or remove it.';
    assert.equal(refusal('{"models": {"x": {"outputPerMTok": 8}}}'), missingInput);
    assert.equal(refusal('{"models": {"x": {"cacheReadPerMTok": 1, "contextWindow": 8192}}}'), missingInput);
    assert.equal(refusal('{"models": {"x": {"cacheWrite1hPerMTok": 6}}}'), missingInput);
  });

  it('a price must be a plain number of USD per million tokens, within real prices', () => {
    const at = (value: string) =>
      refusal(`{"models": {"x": {"inputPerMTok": ${value}, "outputPerMTok": 15}}}`);
    assert.equal(
      at('"3"'),
      'Bad price file p.json: models["x"].inputPerMTok: expected a number of USD per million tokens (e.g. 3 for $3/MTok); fix or remove it.',
    );
    assert.equal(
      at('20000'),
      'Bad price file p.json: models["x"].inputPerMTok: above $10000/MTok; give USD per million tokens; fix or remove it.',
    );
    assert.match(at('0.0009'), /inputPerMTok: looks like a price per token; give USD per million tokens/);
    const cheapest = parsePriceOverrides(
      '{"models": {"x": {"inputPerMTok": 0.001, "outputPerMTok": 0}}}',
      'p',
    );
    assert.deepEqual(
      cheapest.models.x,
      { inputPerMTok: 0.001, outputPerMTok: 0 },
      '$0.001/MTok is a real price',
    );
  });

  it('a context window must be a positive whole number of tokens, at most a billion', () => {
    const at = (value: string) => refusal(`{"models": {"x": {"contextWindow": ${value}}}}`);
    const where = 'Bad price file p.json: models["x"].contextWindow:';
    assert.equal(at('"128k"'), `${where} expected a whole number of tokens; fix or remove it.`);
    assert.equal(at('1.5'), `${where} expected a whole number of tokens; fix or remove it.`);
    assert.equal(at('0'), `${where} expected a positive number of tokens; fix or remove it.`);
    assert.equal(
      at('2000000000'),
      `${where} above 1000000000 tokens; give the context window in tokens; fix or remove it.`,
    );
  });

  it('an empty model id, or an entry that is not an object, is refused saying so', () => {
    assert.equal(
      refusal('{"models": {"": {"contextWindow": 8192}}}'),
      'Bad price file p.json: models[""]: a model id cannot be empty; fix or remove it.',
    );
    assert.equal(
      refusal('{"models": {"x": 3}}'),
      'Bad price file p.json: models["x"]: expected an object such as {"inputPerMTok": 3, "outputPerMTok": 15}; fix or remove it.',
    );
  });

  it('a file saved with a byte-order mark (Windows editors) is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-prices-'));
    try {
      const file = join(dir, 'prices.json');
      writeFileSync(file, '\uFEFF{"models": {"x": {"contextWindow": 8192}}}', 'utf8');
      assert.deepEqual(await readPriceOverrides(file), { models: { x: { contextWindow: 8192 } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a negative price is refused', async () => {
    assert.match(
      await errorOf('bad-negative.json'),
      /outputPerMTok: a price cannot be negative; fix or remove it\.$/,
    );
  });

  it('broken JSON is refused with the parser message', async () => {
    assert.match(await errorOf('bad-syntax.json'), /not valid JSON .*; fix its syntax\./);
  });

  it('a missing file is one clear line too', async () => {
    assert.match(
      await errorOf('no-such-file.json'),
      /cannot read it \(it does not exist\); check the path\./,
    );
  });

  it('a path that cannot be read for another reason gives the system’s reason', async () => {
    const folder = fixture('');
    await assert.rejects(readPriceOverrides(folder), {
      name: 'PriceFileError',
      message: `Bad price file ${folder}: cannot read it (EISDIR: illegal operation on a directory, read); check the path.`,
    });
  });

  it('an empty entry and a non-object entry are refused', () => {
    assert.throws(() => parsePriceOverrides('{"models": {"x": {}}}', 'p.json'), /models\["x"\]: empty entry/);
    assert.throws(() => parsePriceOverrides('{"models": {"x": 3}}', 'p.json'), PriceFileError);
    assert.throws(
      () => parsePriceOverrides('{"models": {"x": {"contextWindow": 1.5}}}', 'p.json'),
      /whole number/,
    );
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PriceFileError, parsePriceOverrides, readPriceOverrides } from '../../../src/core/pricing/overrides';

const fixture = (name: string) => join(__dirname, '..', '..', 'fixtures', 'prices', name);

/** The one-line error a bad file gives. */
async function errorOf(name: string): Promise<string> {
  try {
    await readPriceOverrides(fixture(name));
  } catch (err) {
    assert.ok(err instanceof PriceFileError, `not a PriceFileError: ${err}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.ok(err.message.includes(fixture(name)), 'names the file');
    return err.message;
  }
  return assert.fail('the file was accepted');
}

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
    assert.match(
      await errorOf('bad-shape.json'),
      /models: expected an object of model ids; the file must look like \{"models": \{"<model id>"/,
    );
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

  it('an empty entry and a non-object entry are refused', () => {
    assert.throws(() => parsePriceOverrides('{"models": {"x": {}}}', 'p.json'), /models\["x"\]: empty entry/);
    assert.throws(() => parsePriceOverrides('{"models": {"x": 3}}', 'p.json'), PriceFileError);
    assert.throws(
      () => parsePriceOverrides('{"models": {"x": {"contextWindow": 1.5}}}', 'p.json'),
      /whole number/,
    );
  });
});

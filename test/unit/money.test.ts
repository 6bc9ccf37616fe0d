import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decimalToPico, perMTokToPicoPerToken, picoToDecimal, usdToPico } from '../../src/core/money';

describe('money', () => {
  it('converts catalog prices per million tokens to exact pico-dollars per token', () => {
    assert.equal(perMTokToPicoPerToken(3), 3_000_000n);
    assert.equal(perMTokToPicoPerToken(0.0375), 37_500n);
    assert.equal(perMTokToPicoPerToken(0.075), 75_000n);
    assert.throws(() => perMTokToPicoPerToken(Number.NaN));
    assert.throws(() => perMTokToPicoPerToken(-1));
  });

  it('keeps legacy float costs exact to the pico', () => {
    assert.equal(usdToPico(0.0123), 12_300_000_000n);
    assert.equal(picoToDecimal(12_300_000_000n), '0.0123');
    assert.equal(picoToDecimal(0n), '0.00');
    assert.equal(decimalToPico('1.5'), 1_500_000_000_000n);
  });

  it('round-trips any pico amount through its decimal string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), (p) => {
        assert.equal(decimalToPico(picoToDecimal(p)), p);
      }),
    );
  });
});

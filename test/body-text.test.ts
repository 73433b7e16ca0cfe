import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bodyText, SCRATCH_MAX_BYTES } from '../src/upstream/body-text.js'
import { cutAt } from './helpers/chunks.js'

/** The UTF-8 bytes of `text`, cut at the given offsets (which may fall inside a character). */
function cut(text: string, offsets: readonly number[]): Buffer[] {
  const chunks = cutAt(Buffer.from(text, 'utf8'), offsets)
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)]
}

describe('bodyText', () => {
  it('decodes any text cut into chunks anywhere, as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.nat(), { maxLength: 8 }), (text, offsets) => {
        expect(bodyText(cut(text, offsets))).toBe(text)
      }),
      { numRuns: 500 },
    )
  })

  it('leaves earlier texts intact when the scratch buffer is reused', () => {
    const first = bodyText(cut('{"a":"first answer"}', [3, 9]))
    const second = bodyText(cut('{"b":"second, longer answer"}', [5, 17]))
    expect(first).toBe('{"a":"first answer"}')
    expect(second).toBe('{"b":"second, longer answer"}')
  })

  it('grows the scratch buffer for larger multi-chunk bodies, up to its limit', () => {
    expect(bodyText(cut('{"small":true}', [4]))).toBe('{"small":true}')
    // A few MB, like a region with 10,000 images, then exactly the limit; ASCII and not.
    const mib = 2 ** 20
    const medium = `[${'"ascii",'.repeat((3 * mib) / 8)}0]`
    expect(bodyText(cut(medium, [65_536, mib, 2 * mib + 5]))).toBe(medium)
    const accented = `"${'é'.repeat(mib)}"`
    expect(bodyText(cut(accented, [1, mib + 1, 2 * mib - 1]))).toBe(accented)
    const atLimit = 'x'.repeat(SCRATCH_MAX_BYTES)
    expect(bodyText(cut(atLimit, [1000, SCRATCH_MAX_BYTES - 1]))).toBe(atLimit)
  })

  it('decodes bodies larger than the scratch buffer, ASCII or not', () => {
    const ascii = `"${'x'.repeat(SCRATCH_MAX_BYTES + 10)}"`
    const offsets = [1000, SCRATCH_MAX_BYTES / 2, SCRATCH_MAX_BYTES + 3]
    expect(bodyText(cut(ascii, offsets))).toBe(ascii)
    const accented = `${'é'.repeat(SCRATCH_MAX_BYTES / 2)}€`
    // Cut inside a two-byte character and inside the three-byte euro sign.
    const bytes = Buffer.byteLength(accented)
    expect(bodyText(cut(accented, [1001, bytes - 2]))).toBe(accented)
  })

  it('replaces invalid UTF-8 as a UTF-8 decoder does, never as ASCII', () => {
    const chunks = [Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]
    expect(bodyText(chunks)).toBe(Buffer.concat(chunks).toString('utf8'))
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bodyText, SCRATCH_MAX_BYTES } from '../src/upstream/body-text.js'

/** The UTF-8 bytes of `text`, cut at the given offsets (which may fall inside a character). */
function cut(text: string, offsets: readonly number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8')
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(Buffer.from(bytes.subarray(start, point)))
    start = Math.max(start, point)
  }
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)]
}

describe('bodyText', () => {
  it('decodes any text cut into chunks anywhere, as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.nat(), { maxLength: 8 }), (text, offsets) => {
        const chunks = cut(text, offsets)
        const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
        expect(bodyText(chunks, size)).toBe(text)
      }),
      { numRuns: 500 },
    )
  })

  it('leaves earlier texts intact when the scratch buffer is reused', () => {
    const first = bodyText(cut('{"a":"first answer"}', [3, 9]), 20)
    const second = bodyText(cut('{"b":"second, longer answer"}', [5, 17]), 29)
    expect(first).toBe('{"a":"first answer"}')
    expect(second).toBe('{"b":"second, longer answer"}')
  })

  it('decodes bodies larger than the scratch buffer, ASCII or not', () => {
    const ascii = `"${'x'.repeat(SCRATCH_MAX_BYTES + 10)}"`
    const offsets = [1000, SCRATCH_MAX_BYTES / 2, SCRATCH_MAX_BYTES + 3]
    expect(bodyText(cut(ascii, offsets), ascii.length)).toBe(ascii)
    const accented = `${'é'.repeat(SCRATCH_MAX_BYTES / 2)}€`
    // Cut inside a two-byte character and inside the three-byte euro sign.
    const bytes = Buffer.byteLength(accented)
    expect(bodyText(cut(accented, [1001, bytes - 2]), bytes)).toBe(accented)
  })

  it('replaces invalid UTF-8 as a UTF-8 decoder does, never as ASCII', () => {
    const chunks = [Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]
    expect(bodyText(chunks, 11)).toBe(Buffer.concat(chunks).toString('utf8'))
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AnswerComparison, AnswerMemo, type KnownAnswer } from '../src/upstream/answer-memo.js'
import { cutAt } from './helpers/chunks.js'

function known(text: string): KnownAnswer {
  return { bytes: Buffer.from(text), value: { text } }
}

/** Feeds a body through a comparison; what it kept, and what it said at the end. */
function compare(body: readonly Buffer[], answers: readonly KnownAnswer[]) {
  const comparison = new AnswerComparison(answers)
  const kept: Buffer[] = []
  const keptWhileMatching: number[] = []
  for (const chunk of body) {
    const keep = comparison.next(chunk)
    kept.push(...keep)
    keptWhileMatching.push(keep.length)
  }
  const end = comparison.end()
  if ('owed' in end) kept.push(...end.owed)
  return { kept, end, keptWhileMatching }
}

describe('comparing a body with kept answers as it arrives', () => {
  // Bodies and answers from a small alphabet, so they often share beginnings, or are equal.
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '{', '"'), maxLength: 24 })

  it('finds the kept answer equal to the body, or gives back exactly the body, however it is cut', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(text, { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (body, others, offsets) => {
          const answers = others.map(known)
          const { kept, end } = compare(cutAt(Buffer.from(body), offsets), answers)
          const equal = answers.find((answer) => answer.bytes.toString() === body)
          if (equal) {
            expect(end).toEqual({ known: equal })
            expect(kept).toEqual([])
          } else {
            expect('known' in end).toBe(false)
            expect(Buffer.concat(kept).toString()).toBe(body)
          }
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('keeps no chunk while a kept answer still matches, and all of them once none does', () => {
    const answer = known('{"images":[1,2,3]}')
    const same = compare(cutAt(Buffer.from('{"images":[1,2,3]}'), [3, 9, 14]), [answer])
    expect(same.keptWhileMatching).toEqual([0, 0, 0, 0])
    expect(same.end).toEqual({ known: answer })
    // Differs in the third chunk: the two matched chunks come back from the kept answer.
    const other = compare(cutAt(Buffer.from('{"images":[1,2,4]}'), [3, 9, 16]), [answer])
    expect(other.keptWhileMatching).toEqual([0, 0, 2, 1])
    expect(Buffer.concat(other.kept).toString()).toBe('{"images":[1,2,4]}')
  })

  it('does not take the start of a kept answer for the answer', () => {
    const { end, kept } = compare([Buffer.from('{"images":[1,')], [known('{"images":[1,2]}')])
    expect(end).toEqual({ owed: [Buffer.from('{"images":[1,')] })
    expect(Buffer.concat(kept).toString()).toBe('{"images":[1,')
  })

  it('never lets a kept answer be changed through the chunks it gives back', () => {
    const answer = known('abcdef')
    const { kept } = compare([Buffer.from('abcd'), Buffer.from('XY')], [answer])
    expect(Buffer.concat(kept).toString()).toBe('abcdXY')
    expect(answer.bytes.toString()).toBe('abcdef')
  })
})

describe('the answer memo', () => {
  const body = (text: string) => [Buffer.from(text.slice(0, 3)), Buffer.from(text.slice(3))]

  it('keeps an answer from the second time its bytes arrive, for its path only', () => {
    const memo = new AnswerMemo(1024)
    const value = { parsed: true }
    memo.offer('/regions/a/images', body('[1,2,3]'), 7, value)
    expect(memo.known('/regions/a/images')).toEqual([])
    memo.offer('/regions/a/images', body('[1,2,3]'), 7, value)
    expect(memo.known('/regions/a/images')).toEqual([{ bytes: Buffer.from('[1,2,3]'), value }])
    expect(memo.known('/regions/b/images')).toEqual([])
    // Concurrent calls that all missed offer the same bytes again: kept once.
    memo.offer('/regions/a/images', body('[1,2,3]'), 7, { parsed: 'again' })
    expect(memo.known('/regions/a/images')).toEqual([{ bytes: Buffer.from('[1,2,3]'), value }])
  })

  it('keeps the latest few different answers of a path, within its bytes', () => {
    // Each answer counts its body and the estimated heap of its value (3 bytes: 3 + 5); each
    // path its key (768). Four small answers take 800 bytes with the key, a 36-byte one 90.
    const memo = new AnswerMemo(870)
    const path = '/regions/a/images'
    for (const text of ['[1]', '[2]', '[3]', '[4]', '[5]']) {
      memo.offer(path, body(text), 3, { text })
      memo.offer(path, body(text), 3, { text })
    }
    expect(memo.known(path).map((answer) => answer.bytes.toString())).toEqual(['[5]', '[4]', '[3]', '[2]'])
    // A larger answer pushes out older ones until the path's answers fit in the bound.
    const large = `[${'7'.repeat(34)}]`
    memo.offer(path, body(large), 36, { large })
    memo.offer(path, body(large), 36, { large })
    expect(memo.known(path).map((answer) => answer.bytes.toString())).toEqual([large, '[5]'])
    // One larger than the whole bound is never kept.
    const huge = `[${'8'.repeat(40)}]`
    memo.offer(path, body(huge), 42, { huge })
    memo.offer(path, body(huge), 42, { huge })
    expect(memo.known(path).map((answer) => answer.bytes.toString())).toEqual([large, '[5]'])
  })
})

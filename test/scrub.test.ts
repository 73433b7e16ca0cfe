import { describe, expect, it } from 'vitest'
import { CREDENTIAL_RUN, scrubUpstreamText } from '../src/upstream/scrub.js'

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.5d41402abc4b2a76b9719d911017c592'
const AUTHORIZATION = `Bearer ${TOKEN}`

/** Every run of CREDENTIAL_RUN characters of the token that appears in `text`. */
function leaks(text: string): string[] {
  const found: string[] = []
  for (let start = 0; start + CREDENTIAL_RUN <= TOKEN.length; start++) {
    const run = TOKEN.slice(start, start + CREDENTIAL_RUN)
    if (text.toLowerCase().includes(run.toLowerCase())) found.push(run)
  }
  return found
}

describe('scrubUpstreamText', () => {
  it.each([
    ['a whole copy', `rejected ${TOKEN}`],
    ['a partial copy', `trace ${TOKEN.slice(10, 30)} failed`],
    ['a copy split by control characters', `t=${TOKEN.slice(0, 20)}\u0000\u001b${TOKEN.slice(20)}`],
    ['a copy in another case', `id ${TOKEN.slice(5, 25).toUpperCase()}`],
    ['the Bearer header', `header was ${AUTHORIZATION}`],
  ])('removes %s', (_, text) => {
    const scrubbed = scrubUpstreamText(text, AUTHORIZATION)
    expect(leaks(scrubbed)).toEqual([])
    expect(scrubbed).toContain('[redacted]')
    expect(scrubbed).not.toMatch(/[^\x20-\x7e]/)
  })

  it('keeps text that shares fewer than 8 characters in a row with the token', () => {
    expect(scrubUpstreamText('trace 57bc14d9bd461f0b', AUTHORIZATION)).toBe('trace 57bc14d9bd461f0b')
  })

  it('keeps what it shows to one bounded line', () => {
    expect(scrubUpstreamText(`${'x'.repeat(5000)}\n`, AUTHORIZATION)).toHaveLength(203)
  })
})

import { describe, expect, it } from 'vitest'
import { decodeImageId, encodeImageId } from '../src/images/global-id.js'
import { compareCodePoints } from '../src/images/model.js'

describe('compareCodePoints', () => {
  it('orders by Unicode code point like the upstream, not by UTF-16 code unit', () => {
    const names = ['\u{1F600}-emoji', '\uFF21-fullwidth', 'b', 'a', 'B', 'ab', '']
    // UTF-16 order would put the emoji (surrogate 0xD83D) before U+FF21.
    expect([...names].sort(compareCodePoints)).toEqual([
      '',
      'B',
      'a',
      'ab',
      'b',
      '\uFF21-fullwidth',
      '\u{1F600}-emoji',
    ])
    const utf8 = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...names].sort(compareCodePoints)).toEqual(utf8)
  })
})

describe('global image ids', () => {
  it('round-trip region and upstream id, also when the upstream id has colons', () => {
    const region = '6f1d2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b'
    for (const imageId of ['abc', 'a:b:c', 'ünï/cødé']) {
      expect(decodeImageId(encodeImageId(region, imageId))).toEqual({ regionId: region, imageId })
    }
  })

  it('differ between regions for the same upstream id', () => {
    expect(encodeImageId('r1', 'same')).not.toBe(encodeImageId('r2', 'same'))
  })

  it('reject what is not an image id', () => {
    for (const id of [
      '',
      'not base64!',
      Buffer.from('Region:x:y').toString('base64url'),
      Buffer.from('Image:x').toString('base64url'),
    ]) {
      expect(decodeImageId(id)).toBeNull()
    }
  })
})

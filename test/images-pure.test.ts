import { describe, expect, it } from 'vitest'
import { buildImageConnection, planImageList, RegionImages } from '../src/images/connection.js'
import { countFacet, FACET_VALUES } from '../src/images/facets.js'
import { decodeImageId, encodeImageId } from '../src/images/global-id.js'
import { compareCodePoints, ImageModel } from '../src/images/model.js'
import { makeImage } from './helpers/fixtures.js'

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
  const region = '6f1d2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b'
  const owner = '0b8e7c1a-5d2f-4c3e-9a1b-2c3d4e5f6a7b'

  it('round-trip region, owner and upstream id, also when the upstream id has colons', () => {
    for (const imageId of ['abc', 'a:b:c', 'ünï/cødé']) {
      for (const ownerOrganizationId of [null, owner]) {
        const address = { regionId: region, ownerOrganizationId, imageId }
        expect(decodeImageId(encodeImageId(address))).toEqual(address)
      }
    }
  })

  it('differ between regions for the same upstream id', () => {
    const other = '7a2e3b4c-1d5e-4f60-9b0c-1d2e3f4a5b6c'
    expect(encodeImageId({ regionId: region, ownerOrganizationId: null, imageId: 'same' })).not.toBe(
      encodeImageId({ regionId: other, ownerOrganizationId: null, imageId: 'same' }),
    )
  })

  it('reject what is not an image id', () => {
    const encode = (text: string) => Buffer.from(text).toString('base64url')
    for (const id of [
      '',
      'not base64!',
      encode(`Region:${region}::x`),
      encode(`Image:${region}`),
      encode('Image:not-a-uuid::x'),
      encode(`Image:${region}:not-a-uuid:x`),
      encode(`Image:${region}::`),
    ]) {
      expect(decodeImageId(id)).toBeNull()
    }
  })
})

describe('facets cost nothing unless asked for', () => {
  it('builds a connection without reading what only facets need', () => {
    let osReads = 0
    const region = '6f1d2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b'
    const images = Array.from({ length: 20 }, (_, index) => {
      const upstream = makeImage({ name: `image-${String(index).padStart(2, '0')}` })
      const os = upstream.spec.os
      Object.defineProperty(upstream.spec, 'os', {
        get: () => {
          osReads++
          return os
        },
      })
      return new ImageModel(region, upstream)
    })
    const plan = planImageList({ status: ['READY'] }, { first: 5 }, 'test')
    const connection = buildImageConnection(
      [{ regionId: region, images: new RegionImages(region, images) }],
      plan,
    )
    expect(connection.nodes).toHaveLength(5)
    expect(connection.totalCount).toBe(20)
    expect(osReads).toBe(0)
    expect(countFacet(connection.facets.images, FACET_VALUES.distros)).toEqual([
      { value: 'ubuntu', count: 20 },
    ])
    expect(osReads).toBe(20)
  })
})

import { isUuid } from '../uuid.js'

const IMAGE_PREFIX = 'Image:'

/** What a global image id holds: enough to fetch the image again (its owner decides the upstream query). */
export interface ImageAddress {
  readonly regionId: string
  readonly ownerOrganizationId: string | null
  readonly imageId: string
}

/** Relay-style global id: opaque to clients, unique across regions, stable over time. */
export function encodeImageId(address: ImageAddress): string {
  const text = `${IMAGE_PREFIX}${address.regionId}:${address.ownerOrganizationId ?? ''}:${address.imageId}`
  return Buffer.from(text, 'utf8').toString('base64url')
}

/** The address behind a global image id, or null when it is not one. */
export function decodeImageId(id: string): ImageAddress | null {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return null
  const text = Buffer.from(id, 'base64url').toString('utf8')
  if (!text.startsWith(IMAGE_PREFIX)) return null
  // Region and owner ids are UUIDs (no colon), so the first two colons split the parts.
  const [regionId, owner, ...rest] = text.slice(IMAGE_PREFIX.length).split(':')
  const imageId = rest.join(':')
  if (!regionId || !isUuid(regionId) || owner === undefined || (owner !== '' && !isUuid(owner)) || !imageId) {
    return null
  }
  return { regionId, ownerOrganizationId: owner === '' ? null : owner, imageId }
}

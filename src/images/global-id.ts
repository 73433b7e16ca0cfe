const IMAGE_PREFIX = 'Image:'

/** Relay-style global id: opaque to clients, unique across regions, stable over time. */
export function encodeImageId(regionId: string, imageId: string): string {
  return Buffer.from(`${IMAGE_PREFIX}${regionId}:${imageId}`, 'utf8').toString('base64url')
}

/** The region and upstream id behind a global image id, or null when it is not one. */
export function decodeImageId(id: string): { regionId: string; imageId: string } | null {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return null
  const text = Buffer.from(id, 'base64url').toString('utf8')
  if (!text.startsWith(IMAGE_PREFIX)) return null
  const rest = text.slice(IMAGE_PREFIX.length)
  // Region ids are UUIDs (no colon), so the first colon splits region from upstream id.
  const colon = rest.indexOf(':')
  if (colon <= 0 || colon === rest.length - 1) return null
  return { regionId: rest.slice(0, colon), imageId: rest.slice(colon + 1) }
}

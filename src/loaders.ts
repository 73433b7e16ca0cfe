import DataLoader from 'dataloader'
import type { ImageScope } from './generated/graphql.js'
import type { RegionImages } from './images/connection.js'
import { toImageModel } from './images/model.js'
import { type RegionModel, toRegionModel } from './regions/model.js'
import type { CallerRegionApi } from './upstream/client.js'

/** What one upstream image-list call is about; status and paging are applied in the gateway. */
export interface RegionImagesKey {
  readonly regionId: string
  /** Deduplicated and sorted, so equal sets share one call. */
  readonly organizationIds: readonly string[]
  /** Null without organizationIds: the upstream ignores scope then, so the key does too. */
  readonly scope: ImageScope | null
}

export function regionImagesKey(
  regionId: string,
  organizationIds: readonly string[] | null | undefined,
  scope: ImageScope | null | undefined,
): RegionImagesKey {
  const organizations = [...new Set(organizationIds ?? [])].sort()
  return {
    regionId,
    organizationIds: organizations,
    scope: organizations.length === 0 ? null : (scope ?? 'AVAILABLE'),
  }
}

export interface Loaders {
  /** One upstream call per distinct (region, organizationIds, scope) in the request. */
  readonly imagesByRegionKey: DataLoader<RegionImagesKey, RegionImages, string>
  /** One upstream call per organization's region list in the request. */
  readonly regionsByOrganization: DataLoader<string, RegionModel[], string>
}

/**
 * The only place loaders are made. Called once per request with that caller's view of the
 * upstream, so cached answers never cross callers. Keys are fetched concurrently.
 */
export function createLoaders(upstream: CallerRegionApi): Loaders {
  return {
    imagesByRegionKey: new DataLoader(
      (keys) => Promise.all(keys.map((key) => fetchRegionImages(upstream, key).catch(asError))),
      { cacheKeyFn: (key) => `${key.regionId}|${key.scope ?? ''}|${key.organizationIds.join(',')}` },
    ),
    regionsByOrganization: new DataLoader((organizationIds) =>
      Promise.all(
        organizationIds.map((organizationId) =>
          upstream
            .listRegions(organizationId)
            .then((regions) => regions.map(toRegionModel))
            .catch(asError),
        ),
      ),
    ),
  }
}

async function fetchRegionImages(upstream: CallerRegionApi, key: RegionImagesKey): Promise<RegionImages> {
  const images = await upstream.listImages({
    regionId: key.regionId,
    organizationIds: key.organizationIds,
    scope: key.scope === null ? undefined : key.scope === 'OWNED' ? 'owned' : 'available',
  })
  return { regionId: key.regionId, images: images.map((image) => toImageModel(key.regionId, image)) }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

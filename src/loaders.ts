import DataLoader from 'dataloader'
import type { RegionImagesSource } from './cache/region-images-source.js'
import type { ImageScope } from './generated/graphql.js'
import { RegionImages } from './images/connection.js'
import { type RegionModel, toRegionModel } from './regions/model.js'
import type { CallerRegionApi } from './upstream/client.js'
import type { UpstreamImage } from './upstream/types.js'

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

export function regionImagesKeyString(key: RegionImagesKey): string {
  return `${key.regionId}|${key.scope ?? ''}|${key.organizationIds.join(',')}`
}

/** The caller as the shared image source knows it: a hash of the token, never the token. */
export interface SharedImages {
  readonly source: RegionImagesSource
  readonly callerHash: string
}

/**
 * The only place loaders are made. Called once per request with that caller's view of the
 * upstream, so per-request caches never cross callers. Keys are fetched concurrently; with
 * `shared`, concurrent identical calls of the same caller (and, with a TTL, repeated ones)
 * share one upstream call.
 */
export function createLoaders(
  upstream: CallerRegionApi,
  shared?: SharedImages,
  /** Aborts when the client goes away: upstream work only it was waiting for is cancelled. */
  signal?: AbortSignal,
): Loaders {
  const load = (key: RegionImagesKey) =>
    shared
      ? shared.source.load(
          shared.callerHash,
          regionImagesKeyString(key),
          (callSignal) => fetchRegionImages(upstream, key, callSignal),
          signal,
        )
      : fetchRegionImages(upstream, key, signal)
  return {
    imagesByRegionKey: new DataLoader((keys) => Promise.all(keys.map((key) => load(key).catch(asError))), {
      cacheKeyFn: regionImagesKeyString,
    }),
    regionsByOrganization: new DataLoader((organizationIds) =>
      Promise.all(
        organizationIds.map((organizationId) =>
          upstream
            .listRegions(organizationId, signal)
            .then((regions) => regions.map(toRegionModel))
            .catch(asError),
        ),
      ),
    ),
  }
}

// The client hands out one array for byte-identical answers of a region (its AnswerMemo): their
// models, and the selections kept on them, are then made once too. Only such shared arrays key
// this map: they live as long as the memo keeps them. An array of one call dies with its
// request, and an entry whose key dies young can keep its value through V8's young-generation
// collections (see RegionImages): the whole answer would be copied into the old generation.
const modelsOfAnswer = new WeakMap<readonly UpstreamImage[], RegionImages>()

async function fetchRegionImages(
  upstream: CallerRegionApi,
  key: RegionImagesKey,
  signal: AbortSignal | undefined,
): Promise<RegionImages> {
  const { images, shared } = await upstream.listImages(
    {
      regionId: key.regionId,
      organizationIds: key.organizationIds,
      scope: key.scope === null ? undefined : key.scope === 'OWNED' ? 'owned' : 'available',
    },
    signal,
  )
  if (!shared) return RegionImages.fromUpstream(key.regionId, images)
  const known = modelsOfAnswer.get(images)
  if (known?.regionId === key.regionId) return known
  const answer = RegionImages.fromUpstream(key.regionId, images)
  modelsOfAnswer.set(images, answer)
  return answer
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

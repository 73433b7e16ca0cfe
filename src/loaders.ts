import DataLoader from 'dataloader'
import type { RegionImagesSource } from './cache/region-images-source.js'
import { fromUpstreamError, queryLimitExceeded } from './errors.js'
import type { ImageScope } from './generated/graphql.js'
import { RegionImages } from './images/connection.js'
import { type RegionModel, toRegionModel } from './regions/model.js'
import type { CallerRegionApi } from './upstream/api.js'
import type { UpstreamImage } from './upstream/types.js'
import { UpstreamError } from './upstream/upstream-error.js'

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
  /**
   * Counts the distinct upstream calls loading `keys` adds to the request's, all or none: over
   * the limit it throws (BAD_USER_INPUT, `extensions.limit: "upstreamCalls"`) and none of them
   * is made. Loading a key that was not reserved counts it on its own.
   */
  reserveImageCalls(keys: readonly RegionImagesKey[]): void
}

export function regionImagesKeyString(key: RegionImagesKey): string {
  return `${key.regionId}|${key.scope ?? ''}|${key.organizationIds.join(',')}`
}

/** The caller as the shared image source knows it: a hash of the token, never the token. */
export interface SharedImages {
  readonly source: RegionImagesSource
  readonly callerHash: string
}

export interface LoaderOptions {
  /** With it, concurrent identical calls of the caller (and, with a TTL, repeated ones) share one. */
  readonly shared?: SharedImages | undefined
  /** Aborts when the client goes away: upstream work only it was waiting for is cancelled. */
  readonly signal?: AbortSignal | undefined
  /** Distinct upstream calls one request may make. */
  readonly maxUpstreamCalls: number
}

/**
 * The only place loaders are made. Called once per request with that caller's view of the
 * upstream, so per-request caches never cross callers. Keys are fetched concurrently.
 */
export function createLoaders(upstream: CallerRegionApi, options: LoaderOptions): Loaders {
  const { shared, signal } = options
  const calls = new DistinctCalls(options.maxUpstreamCalls)
  const load = (key: RegionImagesKey) =>
    shared
      ? shared.source.load(
          shared.callerHash,
          regionImagesKeyString(key),
          (callSignal) => fetchRegionImages(upstream, key, callSignal),
          signal,
        )
      : fetchRegionImages(upstream, key, signal)
  const counted = <T>(call: string, run: () => Promise<T>): Promise<T | Error> => {
    try {
      calls.reserve([call])
    } catch (error) {
      return Promise.resolve(asError(error))
    }
    return run().catch(asError)
  }
  return {
    imagesByRegionKey: new DataLoader(
      (keys) => Promise.all(keys.map((key) => counted(imagesCall(key), () => load(key)))),
      { cacheKeyFn: regionImagesKeyString },
    ),
    regionsByOrganization: new DataLoader((organizationIds) =>
      Promise.all(
        organizationIds.map((organizationId) =>
          counted(`regions|${organizationId}`, () =>
            upstream.listRegions(organizationId, signal).then((regions) => regions.map(toRegionModel)),
          ),
        ),
      ),
    ),
    reserveImageCalls: (keys) => calls.reserve(keys.map(imagesCall)),
  }
}

function imagesCall(key: RegionImagesKey): string {
  return `images|${regionImagesKeyString(key)}`
}

/** The distinct upstream calls of one request, up to its limit. */
class DistinctCalls {
  readonly #made = new Set<string>()
  readonly #limit: number

  constructor(limit: number) {
    this.#limit = limit
  }

  /** Counts the calls not counted yet, all of them or (over the limit: throws) none. */
  reserve(calls: readonly string[]): void {
    const added = new Set(calls.filter((call) => !this.#made.has(call)))
    if (this.#made.size + added.size > this.#limit) {
      const error = queryLimitExceeded(
        'upstreamCalls',
        `This operation needs more than ${this.#limit} distinct calls to the Region Service (one per region read and per organization's region list), the gateway's limit per operation. Ask for fewer regions or organizations in one operation.`,
      )
      error.extensions.maxUpstreamCalls = this.#limit
      throw error
    }
    for (const call of added) this.#made.add(call)
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
  const { images, shared, bytes } = await upstream.listImages(
    {
      regionId: key.regionId,
      organizationIds: key.organizationIds,
      scope: key.scope === null ? undefined : key.scope === 'OWNED' ? 'owned' : 'available',
    },
    signal,
  )
  if (!shared) return RegionImages.fromUpstream(key.regionId, images, bytes)
  const known = modelsOfAnswer.get(images)
  if (known?.regionId === key.regionId) return known
  const answer = RegionImages.fromUpstream(key.regionId, images, bytes)
  modelsOfAnswer.set(images, answer)
  return answer
}

/** What a load rejects with: upstream failures in the error catalogue's words. */
function asError(error: unknown): Error {
  if (error instanceof UpstreamError) return fromUpstreamError(error)
  return error instanceof Error ? error : new Error(String(error))
}

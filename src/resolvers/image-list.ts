import type { GatewayContext } from '../context.js'
import { asGatewayError, badUserInput, CALLER_LEVEL_CODES, GatewayError } from '../errors.js'
import type { ImageScope, ImageState } from '../generated/graphql.js'
import {
  buildImageConnection,
  type ImageConnectionModel,
  type ImageListPlan,
  planImageList,
  type RegionResult,
} from '../images/connection.js'
import { regionImagesKey } from '../loaders.js'
import { hasImageService, type RegionModel } from '../regions/model.js'
import { requireUuids } from '../validation.js'

/** The arguments every image list takes. */
export interface ImageListArgs {
  readonly organizationIds?: readonly string[] | null | undefined
  readonly scope?: ImageScope | null | undefined
  readonly status?: readonly ImageState[] | null | undefined
  readonly first?: number | null | undefined
  readonly after?: string | null | undefined
}

interface CheckedListArgs {
  readonly plan: ImageListPlan
  readonly organizationIds: readonly string[]
  readonly scope: ImageScope | null | undefined
}

/** Every argument checked before any upstream call. */
function checkListArgs(args: ImageListArgs): CheckedListArgs {
  const organizationIds = requireUuids(args.organizationIds ?? [], 'organizationIds')
  const plan = planImageList({ status: args.status ?? undefined }, { first: args.first, after: args.after })
  return { plan, organizationIds, scope: args.scope }
}

/** `Region.images`: one region; its failure is an error at this field. */
export async function regionImageList(
  region: RegionModel,
  args: ImageListArgs,
  context: GatewayContext,
): Promise<ImageConnectionModel> {
  const checked = checkListArgs(args)
  if (!hasImageService(region)) {
    return buildImageConnection(
      [{ regionId: region.id, images: { regionId: region.id, images: [] } }],
      checked.plan,
    )
  }
  const key = regionImagesKey(region.id, checked.organizationIds, checked.scope)
  const images = await context.loaders.imagesByRegionKey.load(key)
  return buildImageConnection([{ regionId: region.id, images }], checked.plan)
}

/**
 * `Query.images`: many regions merged. A failing region only loses its own images, unless
 * every region fails with the same caller-level error, which then fails the field.
 */
export async function mergedImageList(
  regionIds: readonly string[],
  args: ImageListArgs,
  context: GatewayContext,
): Promise<ImageConnectionModel> {
  const regions = requireUuids(regionIds, 'regionIds')
  if (regions.length > context.limits.maxRegionsPerQuery) {
    throw badUserInput(
      `At most ${context.limits.maxRegionsPerQuery} regions may be read in one query; got ${regions.length}.`,
      'regionIds',
    )
  }
  const checked = checkListArgs(args)
  const results = await Promise.all(
    regions.map(
      (regionId): Promise<RegionResult> =>
        context.loaders.imagesByRegionKey
          .load(regionImagesKey(regionId, checked.organizationIds, checked.scope))
          .then(
            (images) => ({ regionId, images }),
            (error: unknown) => {
              const gatewayError = asGatewayError(error, regionId)
              if (gatewayError !== error)
                context.log.error({ err: error, regionId }, 'unexpected failure reading a region')
              return { regionId, error: gatewayError }
            },
          ),
    ),
  )
  const failures = results.flatMap((result) => (result.error ? [result.error] : []))
  const first = failures[0]
  if (
    first &&
    failures.length === results.length &&
    CALLER_LEVEL_CODES.has(first.code) &&
    failures.every((failure) => failure.code === first.code)
  ) {
    // The caller's own problem (no token, token rejected, no access) rather than the regions'.
    if (first.status === undefined) throw first
    const message =
      first.code === 'UNAUTHENTICATED'
        ? 'The Region Service rejected the bearer token for every requested region.'
        : 'The Region Service denied access to every requested region.'
    throw new GatewayError(first.code, message, { status: first.status, traceId: first.traceId })
  }
  return buildImageConnection(results, checked.plan)
}

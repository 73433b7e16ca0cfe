import type { GatewayContext } from '../context.js'
import { asGatewayError, badUserInput, CALLER_LEVEL_CODES, GatewayError } from '../errors.js'
import type {
  ImageFilter,
  ImageOrder as ImageOrderInput,
  ImageScope,
  ImageState,
} from '../generated/graphql.js'
import {
  buildImageConnection,
  type ImageConnectionModel,
  planImageList,
  RegionImages,
  type RegionResult,
} from '../images/connection.js'
import { decodeImageId } from '../images/global-id.js'
import type { ImageModel } from '../images/model.js'
import type { ImageOrder } from '../images/ordering.js'
import { type RegionImagesKey, regionImagesKey } from '../loaders.js'
import { hasImageService, type RegionModel } from '../regions/model.js'
import { requireUuid, requireUuids } from '../validation.js'

/** The arguments every image list takes. */
export interface ImageListArgs {
  readonly organizationIds?: readonly string[] | null | undefined
  readonly scope?: ImageScope | null | undefined
  readonly status?: readonly ImageState[] | null | undefined
  readonly filter?: ImageFilter | null | undefined
  readonly orderBy?: readonly ImageOrderInput[] | null | undefined
  readonly first?: number | null | undefined
  readonly after?: string | null | undefined
  readonly last?: number | null | undefined
  readonly before?: string | null | undefined
}

export interface MergedImageListArgs extends ImageListArgs {
  readonly regionIds?: readonly string[] | null | undefined
  readonly organizationId?: string | null | undefined
}

/** Every argument of a list checked, and the upstream keys it needs, before any upstream call. */
function planList(regionIds: readonly string[], args: ImageListArgs) {
  const organizationIds = requireUuids(args.organizationIds ?? [], 'organizationIds')
  const keys = regionIds.map((regionId) => regionImagesKey(regionId, organizationIds, args.scope))
  const orderBy = args.orderBy?.map(
    (order): ImageOrder => ({ field: order.field, direction: order.direction ?? 'ASC' }),
  )
  const listScope = JSON.stringify([
    [...regionIds].sort(),
    keys[0]?.organizationIds ?? [],
    keys[0]?.scope ?? null,
  ])
  const plan = planImageList({ status: args.status, filter: args.filter, orderBy }, args, listScope)
  return { plan, keys }
}

/** `Region.images`: one region; its failure is an error at this field. */
export async function regionImageList(
  region: RegionModel,
  args: ImageListArgs,
  context: GatewayContext,
): Promise<ImageConnectionModel> {
  const { plan, keys } = planList([region.id], args)
  const key = keys[0] as RegionImagesKey
  if (!hasImageService(region)) {
    return buildImageConnection([{ regionId: region.id, images: new RegionImages(region.id, []) }], plan)
  }
  const images = await context.loaders.imagesByRegionKey.load(key)
  return buildImageConnection([{ regionId: region.id, images }], plan)
}

/**
 * `Query.images`: many regions merged, named by id or as every image-serving region of an
 * organization. A failing region only loses its own images, unless every region fails with
 * the same caller-level error, which then fails the field.
 */
export async function mergedImageList(
  args: MergedImageListArgs,
  context: GatewayContext,
): Promise<ImageConnectionModel> {
  const byRegions = args.regionIds != null
  const byOrganization = args.organizationId != null
  if (byRegions === byOrganization) {
    throw badUserInput(
      'Pass exactly one of "regionIds" and "organizationId".',
      byRegions ? 'organizationId' : 'regionIds',
    )
  }
  let regionIds: string[]
  let listArgs: ImageListArgs = args
  if (args.organizationId != null) {
    const organizationId = requireUuid(args.organizationId, 'organizationId')
    // Check the rest before the region list is fetched: bad input costs no upstream call.
    planList([], { ...args, organizationIds: args.organizationIds ?? [organizationId] })
    const regions = await context.loaders.regionsByOrganization.load(organizationId)
    regionIds = regions.filter(hasImageService).map((region) => region.id)
    listArgs = { ...args, organizationIds: args.organizationIds ?? [organizationId] }
  } else {
    regionIds = requireUuids(args.regionIds ?? [], 'regionIds')
  }
  if (regionIds.length > context.limits.maxRegionsPerQuery) {
    throw badUserInput(
      `At most ${context.limits.maxRegionsPerQuery} regions may be read in one query; got ${regionIds.length}.`,
      byOrganization ? 'organizationId' : 'regionIds',
    )
  }
  const { plan, keys } = planList(regionIds, listArgs)
  // All of the list's regions or none: a list silently missing regions would mislead.
  context.loaders.reserveImageCalls(keys)
  const results = await Promise.all(
    keys.map(
      (key): Promise<RegionResult> =>
        context.loaders.imagesByRegionKey.load(key).then(
          (images) => ({ regionId: key.regionId, images }),
          (error: unknown) => {
            const gatewayError = asGatewayError(error, key.regionId)
            if (gatewayError !== error) {
              context.log.error({ err: error, regionId: key.regionId }, 'unexpected failure reading a region')
            }
            return { regionId: key.regionId, error: gatewayError }
          },
        ),
    ),
  )
  throwIfCallerRejectedEverywhere(results)
  return buildImageConnection(results, plan)
}

function throwIfCallerRejectedEverywhere(results: readonly RegionResult[]): void {
  const failures = results.flatMap((result) => (result.error ? [result.error] : []))
  const first = failures[0]
  if (
    !first ||
    failures.length !== results.length ||
    !CALLER_LEVEL_CODES.has(first.code) ||
    !failures.every((failure) => failure.code === first.code)
  ) {
    return
  }
  // The caller's own problem (no token, token rejected, no access) rather than the regions'.
  if (first.status === undefined) throw first
  const message =
    first.code === 'UNAUTHENTICATED'
      ? 'The Region Service rejected the bearer token for every requested region.'
      : 'The Region Service denied access to every requested region.'
  throw new GatewayError(first.code, message, { status: first.status, traceId: first.traceId })
}

/** `Query.image`: a lookup served from the same per-request answer as the lists. */
export async function imageLookup(
  args: { regionId: string; imageId: string; organizationIds?: readonly string[] | null | undefined },
  context: GatewayContext,
): Promise<ImageModel | null> {
  const regionId = requireUuid(args.regionId, 'regionId')
  const organizationIds = requireUuids(args.organizationIds ?? [], 'organizationIds')
  const answer = await context.loaders.imagesByRegionKey.load(
    regionImagesKey(regionId, organizationIds, 'AVAILABLE'),
  )
  return answer.find(args.imageId)
}

/** `Query.node`: a global id names its region, owner and upstream id, so the image can be read again. */
export async function nodeLookup(id: string, context: GatewayContext): Promise<ImageModel | null> {
  const address = decodeImageId(id)
  if (!address) throw badUserInput('"id" is not a global id of this API.', 'id')
  return imageLookup(
    {
      regionId: address.regionId,
      imageId: address.imageId,
      organizationIds: address.ownerOrganizationId ? [address.ownerOrganizationId] : [],
    },
    context,
  )
}

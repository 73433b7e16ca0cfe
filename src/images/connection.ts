import type { ErrorCode, GatewayError } from '../errors.js'
import { answerHeapBytes } from '../upstream/answer-size.js'
import type { UpstreamImage } from '../upstream/types.js'
import type { ImageFacetsModel } from './facets.js'
import { ImageModel } from './model.js'
import { ImageOrdering } from './ordering.js'
import {
  encodeCursor,
  type PageArgs,
  type PageRequest,
  type PageSlice,
  slicePage,
  toPageRequest,
} from './paging.js'
import {
  checkImageFilter,
  type ImagePredicate,
  type ImageSelection,
  selectionFingerprint,
  selectionKey,
  selectionPredicate,
} from './selection.js'

// Filtering and sorting a region's answer happens once per distinct selection, however many
// fields or aliases ask for it. An answer lives for one request, for the response cache's
// TTL when that is on, or while byte-identical answers keep arriving (the upstream client's
// AnswerMemo), when callers share it; so each answer keeps only its last few selections.
const SELECTIONS_PER_ANSWER = 16

/**
 * One region's images as the loader returns them: mapped once per upstream answer, with what
 * is derived from them (selections, the index by id) kept on it, so it all goes when the
 * answer goes. Not in WeakMaps keyed by the answer: a WeakMap entry whose key dies young can
 * still keep its value through V8's young-generation collections, which then copy the whole
 * answer into the old generation (see loaders.ts).
 */
export class RegionImages {
  readonly regionId: string
  readonly images: readonly ImageModel[]
  /** Estimated heap of the answer with what is derived from it (caches are bounded by it). */
  readonly heapBytes: number
  readonly #selections = new Map<string, readonly ImageModel[]>()
  #byImageId: Map<string, ImageModel> | undefined

  constructor(regionId: string, images: readonly ImageModel[], heapBytes = 0) {
    this.regionId = regionId
    this.images = images
    this.heapBytes = heapBytes
  }

  /** @param bodyBytes size of the JSON the images were parsed from */
  static fromUpstream(regionId: string, images: readonly UpstreamImage[], bodyBytes: number): RegionImages {
    return new RegionImages(
      regionId,
      images.map((image) => new ImageModel(regionId, image)),
      answerHeapBytes(bodyBytes),
    )
  }

  /** The images `plan` selects, in its order; filtered and sorted once per selection. */
  select(plan: ImageListPlan): readonly ImageModel[] {
    const key = plan.selectionKey
    let selected = this.#selections.get(key)
    if (!selected) {
      const kept = plan.predicate ? this.images.filter(plan.predicate) : [...this.images]
      selected = kept.sort(plan.ordering.compareImages)
      if (this.#selections.size >= SELECTIONS_PER_ANSWER) {
        this.#selections.delete(this.#selections.keys().next().value as string)
      }
      this.#selections.set(key, selected)
    }
    return selected
  }

  /** An image of the answer by upstream id (the index is built once). */
  find(imageId: string): ImageModel | null {
    this.#byImageId ??= new Map(this.images.map((image) => [image.imageId, image]))
    return this.#byImageId.get(imageId) ?? null
  }
}

export type RegionResult =
  | { readonly regionId: string; readonly images: RegionImages; readonly error?: undefined }
  | { readonly regionId: string; readonly error: GatewayError }

export interface RegionOutcomeModel {
  readonly regionId: string
  readonly ok: boolean
  readonly imageCount: number
  readonly error: {
    readonly code: ErrorCode
    readonly message: string
    readonly status: number | null
    readonly traceId: string | null
  } | null
}

export interface ImageEdgeModel {
  readonly cursor: string
  readonly node: ImageModel
}

export interface ImageConnectionModel {
  /** The images of the page, in order. */
  readonly nodes: readonly ImageModel[]
  readonly totalCount: number
  readonly pageInfo: PageSlice & { readonly startCursor: string | null; readonly endCursor: string | null }
  readonly regions: readonly RegionOutcomeModel[]
  readonly facets: ImageFacetsModel
  cursorOf(image: ImageModel): string
}

/**
 * A checked plan for one image list: built from the arguments before anything is fetched, so
 * bad input is rejected without an upstream call.
 */
export interface ImageListPlan {
  readonly ordering: ImageOrdering
  readonly selection: ImageSelection
  /** Names the selection (paging and scope aside): equal keys select the same images. */
  readonly selectionKey: string
  /** All filters as one test, or null when the selection keeps every image. */
  readonly predicate: ImagePredicate | null
  readonly fingerprint: string
  readonly page: PageRequest
}

/**
 * @param scope what the list reads (regions, organizations, scope), so that a cursor of one
 *   list is refused by another.
 */
export function planImageList(selection: ImageSelection, pageArgs: PageArgs, scope: string): ImageListPlan {
  checkImageFilter(selection.filter)
  const ordering = new ImageOrdering(selection.orderBy)
  const fingerprint = selectionFingerprint(selection, scope)
  return {
    ordering,
    selection,
    selectionKey: selectionKey(selection),
    predicate: selectionPredicate(selection),
    fingerprint,
    page: toPageRequest(pageArgs, ordering, fingerprint),
  }
}

/**
 * The regions' selections as one list in the plan's order. Each selection is already in that
 * order, so the sort merges runs. Not cached: a merged list would keep every merged answer
 * alive, and merging costs less than the memory it would hold.
 */
function mergeRegions(lists: readonly (readonly ImageModel[])[], plan: ImageListPlan): readonly ImageModel[] {
  if (lists.length <= 1) return lists[0] ?? []
  return lists.flat().sort(plan.ordering.compareImages)
}

/** Merges the regions' answers into one ordered, paged connection with an outcome per region. */
export function buildImageConnection(
  results: readonly RegionResult[],
  plan: ImageListPlan,
): ImageConnectionModel {
  const regions: RegionOutcomeModel[] = []
  const lists: (readonly ImageModel[])[] = []
  for (const result of results) {
    if (result.error) {
      regions.push({
        regionId: result.regionId,
        ok: false,
        imageCount: 0,
        error: toRegionError(result.error),
      })
      continue
    }
    const selected = result.images.select(plan)
    lists.push(selected)
    regions.push({ regionId: result.regionId, ok: true, imageCount: selected.length, error: null })
  }
  const all = mergeRegions(lists, plan)
  const slice = slicePage(all, plan.ordering, plan.page)
  const nodes = all.slice(slice.start, slice.end)
  const cursorOf = (image: ImageModel) => encodeCursor(plan.fingerprint, plan.ordering.keyOf(image))
  const first = nodes[0]
  const last = nodes[nodes.length - 1]
  return {
    nodes,
    totalCount: all.length,
    pageInfo: {
      ...slice,
      startCursor: first ? cursorOf(first) : null,
      endCursor: last ? cursorOf(last) : null,
    },
    regions,
    facets: { images: all },
    cursorOf,
  }
}

function toRegionError(error: GatewayError): RegionOutcomeModel['error'] {
  return {
    code: error.code,
    message: error.message,
    status: error.status ?? null,
    traceId: error.traceId ?? null,
  }
}

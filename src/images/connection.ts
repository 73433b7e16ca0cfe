import { LRUCache } from 'lru-cache'
import type { ErrorCode, GatewayError } from '../errors.js'
import type { ImageFacetsModel } from './facets.js'
import type { ImageModel } from './model.js'
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

/** One region's images as the loader returns them: mapped once per upstream answer. */
export interface RegionImages {
  readonly regionId: string
  readonly images: readonly ImageModel[]
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
  /** The selection's exact text (paging and scope aside): equal keys select the same images. */
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

// Filtering and sorting a region's answer happens once per distinct selection, however many
// fields or aliases ask for it. An answer lives for one request, for the response cache's
// TTL when that is on, or while byte-identical answers keep arriving (the upstream client's
// AnswerMemo), when callers share it; so each answer keeps only its last few selections.
const SELECTIONS_PER_ANSWER = 16
const selectedByAnswer = new WeakMap<RegionImages, Map<string, readonly ImageModel[]>>()
const indexByAnswer = new WeakMap<RegionImages, Map<string, ImageModel>>()

function selectRegion(answer: RegionImages, plan: ImageListPlan): readonly ImageModel[] {
  let bySelection = selectedByAnswer.get(answer)
  if (!bySelection) {
    bySelection = new Map()
    selectedByAnswer.set(answer, bySelection)
  }
  const key = plan.selectionKey
  let selected = bySelection.get(key)
  if (!selected) {
    const kept = plan.predicate ? answer.images.filter(plan.predicate) : [...answer.images]
    selected = kept.sort(plan.ordering.compareImages)
    if (bySelection.size >= SELECTIONS_PER_ANSWER) {
      bySelection.delete(bySelection.keys().next().value as string)
    }
    bySelection.set(key, selected)
  }
  return selected
}

// Merging several regions' selections into one order is cached too, by the selection and the
// exact answers merged (each answer numbered once). Process-wide and bounded by the images the
// merged lists hold: a merged list keeps every merged region's models alive, so it cannot live
// on any single answer.
const MERGED_IMAGES = 50_000
const mergedLists = new LRUCache<string, readonly ImageModel[]>({
  maxSize: MERGED_IMAGES,
  sizeCalculation: (list) => Math.max(1, list.length),
})
const answerNumbers = new WeakMap<RegionImages, number>()
let answersNumbered = 0

function answerNumber(answer: RegionImages): number {
  let number = answerNumbers.get(answer)
  if (number === undefined) {
    number = ++answersNumbered
    answerNumbers.set(answer, number)
  }
  return number
}

function mergeRegions(
  answers: readonly RegionImages[],
  lists: readonly (readonly ImageModel[])[],
  plan: ImageListPlan,
): readonly ImageModel[] {
  if (answers.length <= 1) return lists[0] ?? []
  const key = `${plan.selectionKey}\n${answers.map(answerNumber).join(',')}`
  let merged = mergedLists.get(key)
  if (!merged) {
    merged = lists.flat().sort(plan.ordering.compareImages)
    // A list larger than the whole bound is not kept (lru-cache would refuse it anyway).
    if (merged.length <= MERGED_IMAGES) mergedLists.set(key, merged)
  }
  return merged
}

/** An image of a region's answer by upstream id (index built once per answer). */
export function findImage(answer: RegionImages, imageId: string): ImageModel | null {
  let index = indexByAnswer.get(answer)
  if (!index) {
    index = new Map(answer.images.map((image) => [image.imageId, image]))
    indexByAnswer.set(answer, index)
  }
  return index.get(imageId) ?? null
}

/** Merges the regions' answers into one ordered, paged connection with an outcome per region. */
export function buildImageConnection(
  results: readonly RegionResult[],
  plan: ImageListPlan,
): ImageConnectionModel {
  const regions: RegionOutcomeModel[] = []
  const answers: RegionImages[] = []
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
    const selected = selectRegion(result.images, plan)
    answers.push(result.images)
    lists.push(selected)
    regions.push({ regionId: result.regionId, ok: true, imageCount: selected.length, error: null })
  }
  const all = mergeRegions(answers, lists, plan)
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

import { compareCodePoints, type ImageModel } from './model.js'

/** The matched images of a list; facet counts are computed from it only when selected. */
export interface ImageFacetsModel {
  readonly images: readonly ImageModel[]
}

export interface FacetCountModel {
  readonly value: string
  readonly count: number
}

export interface GroupedFacetCountModel {
  readonly group: string
  readonly value: string
  readonly count: number
}

/** What each plain facet counts: the values an image contributes (none, one or several). */
export const FACET_VALUES = {
  architectures: (image) => [image.architecture],
  virtualizations: (image) => [image.virtualization],
  states: (image) => [image.state],
  distros: (image) => [image.os.distro],
  gpuVendors: (image) => (image.gpu ? [image.gpu.vendor] : []),
  gpuModels: (image) => (image.gpu ? image.gpu.models : []),
  softwareNames: (image) => image.softwareVersions.map((software) => software.name),
  sources: (image) => (image.source ? [image.source] : []),
  regions: (image) => [image.regionId],
} satisfies Record<string, (image: ImageModel) => readonly string[]>

export const GROUPED_FACET_VALUES = {
  osVersions: (image) => [[image.os.distro, image.os.version]],
  softwareVersions: (image) =>
    image.softwareVersions.map((software) => [software.name, software.version] as const),
} satisfies Record<string, (image: ImageModel) => readonly (readonly [string, string])[]>

export type FacetName = keyof typeof FACET_VALUES | keyof typeof GROUPED_FACET_VALUES

// A list of matched images is shared by every request that selects the same images from the
// same answers (see connection.ts), so its facets are counted once per list, when first asked.
const facetsByList = new WeakMap<
  readonly ImageModel[],
  Map<FacetName, FacetCountModel[] | GroupedFacetCountModel[]>
>()

/** Counted once per list; the arrays are shared, so nothing may change them. */
function cachedFacet<T extends FacetCountModel[] | GroupedFacetCountModel[]>(
  images: readonly ImageModel[],
  name: FacetName,
  count: () => T,
): T {
  let facets = facetsByList.get(images)
  if (!facets) {
    facets = new Map()
    facetsByList.set(images, facets)
  }
  let counted = facets.get(name) as T | undefined
  if (!counted) {
    counted = count()
    facets.set(name, counted)
  }
  return counted
}

/** The counts of a plain facet over a list of matched images (counted once per list). */
export function facetCounts(
  images: readonly ImageModel[],
  name: keyof typeof FACET_VALUES,
): FacetCountModel[] {
  return cachedFacet(images, name, () => countFacet(images, FACET_VALUES[name]))
}

/** The counts of a grouped facet over a list of matched images (counted once per list). */
export function groupedFacetCounts(
  images: readonly ImageModel[],
  name: keyof typeof GROUPED_FACET_VALUES,
): GroupedFacetCountModel[] {
  return cachedFacet(images, name, () => countGroupedFacet(images, GROUPED_FACET_VALUES[name]))
}

/** Counts values over images; an image counts once per distinct value it has. Sorted by count desc, then value. */
export function countFacet(
  images: readonly ImageModel[],
  valuesOf: (image: ImageModel) => readonly string[],
): FacetCountModel[] {
  const counts = new Map<string, number>()
  for (const image of images) {
    for (const value of new Set(valuesOf(image))) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || compareCodePoints(a.value, b.value))
}

/** Counts (group, value) pairs; sorted by count desc, then group, then value. */
export function countGroupedFacet(
  images: readonly ImageModel[],
  pairsOf: (image: ImageModel) => readonly (readonly [string, string])[],
): GroupedFacetCountModel[] {
  const counts = new Map<string, GroupedFacetCountModel>()
  for (const image of images) {
    for (const [group, value] of pairsOf(image)) {
      // JSON keeps any group/value text apart, whatever characters it contains.
      const key = JSON.stringify([group, value])
      const current = counts.get(key)
      counts.set(key, { group, value, count: (current?.count ?? 0) + 1 })
    }
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || compareCodePoints(a.group, b.group) || compareCodePoints(a.value, b.value),
  )
}

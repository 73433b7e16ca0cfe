import { hash } from 'node:crypto'
import { badUserInput } from '../errors.js'
import type { ImageFilter, ImageState } from '../generated/graphql.js'
import type { ImageModel } from './model.js'
import type { ImageOrder } from './ordering.js'

/** Everything that decides which images a list holds and in what order (paging aside). */
export interface ImageSelection {
  /** Only these states; all when undefined or empty. Applied in the gateway, never as an extra upstream call. */
  readonly status?: readonly ImageState[] | null | undefined
  readonly filter?: ImageFilter | null | undefined
  readonly orderBy?: readonly ImageOrder[] | undefined
}

export type ImagePredicate = (image: ImageModel) => boolean

const MAX_NAME_CONTAINS = 256

/** Rejects contradictory or out-of-range filter values before anything is fetched. */
export function checkImageFilter(filter: ImageFilter | null | undefined): void {
  if (!filter) return
  for (const name of ['minSizeGiB', 'maxSizeGiB'] as const) {
    const value = filter[name]
    if (value != null && value < 0)
      throw badUserInput(`"filter.${name}" must not be negative; got ${value}.`, 'filter')
  }
  if (filter.minSizeGiB != null && filter.maxSizeGiB != null && filter.minSizeGiB > filter.maxSizeGiB) {
    throw badUserInput('"filter.minSizeGiB" must not be greater than "filter.maxSizeGiB".', 'filter')
  }
  if (filter.nameContains != null && filter.nameContains.length > MAX_NAME_CONTAINS) {
    throw badUserInput(`"filter.nameContains" must be at most ${MAX_NAME_CONTAINS} characters.`, 'filter')
  }
}

/** A list condition only counts when it names at least one value. */
function given<T>(values: readonly T[] | null | undefined): values is readonly T[] {
  return values != null && values.length > 0
}

/** One predicate for the whole selection (all conditions ANDed), or null when it keeps every image. */
export function selectionPredicate(selection: ImageSelection): ImagePredicate | null {
  const predicates: ImagePredicate[] = []
  const add = (predicate: ImagePredicate) => predicates.push(predicate)
  if (given(selection.status)) {
    const states = new Set(selection.status)
    add((image) => states.has(image.state))
  }
  const filter = selection.filter
  if (filter) {
    if (given(filter.architectures)) {
      const architectures = new Set(filter.architectures)
      add((image) => architectures.has(image.architecture))
    }
    if (given(filter.virtualizations)) {
      const kinds = new Set(filter.virtualizations)
      add((image) => image.virtualization === 'ANY' || kinds.has(image.virtualization))
    }
    const gpu = filter.gpu
    if (gpu?.present != null) {
      const present = gpu.present
      add((image) => (image.gpu !== null) === present)
    }
    if (given(gpu?.vendors)) {
      const vendors = new Set(gpu.vendors)
      add((image) => image.gpu !== null && vendors.has(image.gpu.vendor))
    }
    if (given(gpu?.models)) {
      const models = new Set(gpu.models.map((model) => model.toLowerCase()))
      add((image) => image.gpu?.models.some((model) => models.has(model.toLowerCase())) === true)
    }
    const os = filter.os
    if (given(os?.families)) {
      const families = new Set(os.families)
      add((image) => families.has(image.os.family))
    }
    if (given(os?.distros)) {
      const distros = new Set(os.distros)
      add((image) => distros.has(image.os.distro))
    }
    if (given(os?.versions)) {
      const versions = new Set(os.versions)
      add((image) => versions.has(image.os.version))
    }
    if (given(os?.variants)) {
      const variants = new Set(os.variants)
      add((image) => image.os.variant !== null && variants.has(image.os.variant))
    }
    if (filter.minSizeGiB != null) {
      const min = filter.minSizeGiB
      add((image) => image.sizeGiB >= min)
    }
    if (filter.maxSizeGiB != null) {
      const max = filter.maxSizeGiB
      add((image) => image.sizeGiB <= max)
    }
    if (given(filter.software)) {
      const wanted = filter.software.map((software) => ({
        name: software.name,
        versions: given(software.versions) ? new Set(software.versions) : null,
      }))
      add((image) =>
        wanted.some(({ name, versions }) =>
          image.softwareVersions.some(
            (installed) => installed.name === name && (!versions || versions.has(installed.version)),
          ),
        ),
      )
    }
    if (filter.hasSoftware != null) {
      const hasSoftware = filter.hasSoftware
      add((image) => image.softwareVersions.length > 0 === hasSoftware)
    }
    if (filter.nameContains != null && filter.nameContains !== '') {
      const needle = filter.nameContains.toLowerCase()
      add((image) => image.name.toLowerCase().includes(needle))
    }
    if (given(filter.tags)) {
      const tags = filter.tags
      add((image) =>
        tags.some((wanted) =>
          image.tags.some(
            (tag) => tag.name === wanted.name && (wanted.value == null || tag.value === wanted.value),
          ),
        ),
      )
    }
    if (given(filter.sources)) {
      const sources = new Set(filter.sources)
      add((image) => image.source !== null && sources.has(image.source))
    }
    if (given(filter.ownerOrganizationIds)) {
      const owners = new Set(filter.ownerOrganizationIds)
      add((image) => image.ownerOrganizationId !== null && owners.has(image.ownerOrganizationId))
    }
  }
  if (predicates.length === 0) return null
  if (predicates.length === 1) return predicates[0] as ImagePredicate
  return (image) => {
    for (const predicate of predicates) if (!predicate(image)) return false
    return true
  }
}

/**
 * A stable, short fingerprint of a list's definition: what it reads (`scope`), which images it
 * keeps and their order. Cursors carry it, so a cursor only fits the list it came from.
 */
export function selectionFingerprint(selection: ImageSelection, scope: string): string {
  // 96 bits: a cursor of another list must not pass for this one by a hash collision.
  return hash('sha256', selectionText(selection, scope), 'base64url').slice(0, 16)
}

/**
 * Names a selection: equal keys select and order the same images. A hash of its canonical text,
 * since the text is the caller's and may be as large as the request.
 */
export function selectionKey(selection: ImageSelection): string {
  return hash('sha256', selectionText(selection), 'base64url')
}

/** The exact, canonical text of a selection: equal texts select and order the same images. */
function selectionText(selection: ImageSelection, scope = ''): string {
  return canonicalJson([scope, selection.status ?? null, selection.filter ?? null, selection.orderBy ?? null])
}

/** JSON with object keys sorted and lists of scalars sorted (OR lists do not depend on order). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    const items = value.map(canonicalJson)
    const ordered = value.every((item) => typeof item !== 'object' || item === null) ? items.sort() : items
    return `[${ordered.join(',')}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined && item !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

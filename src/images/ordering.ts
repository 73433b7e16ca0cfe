import type { ImageModel } from './model.js'
import { compareCodePoints } from './model.js'

export type ImageOrderField = 'NAME' | 'CREATED_AT' | 'SIZE' | 'STATE' | 'REGION'
export type OrderDirection = 'ASC' | 'DESC'

export interface ImageOrder {
  readonly field: ImageOrderField
  readonly direction: OrderDirection
}

/** A position in an ordered list: the values of every sort column, tie-breakers included. */
export type SortKey = readonly (string | number)[]

/** The default and the tie-breakers: name (code-point order, as the upstream sorts), region, id. */
export const DEFAULT_ORDER: readonly ImageOrder[] = [{ field: 'NAME', direction: 'ASC' }]

const STATE_RANK: Record<ImageModel['state'], number> = { PENDING: 0, CREATING: 1, READY: 2, FAILED: 3 }

interface Column {
  readonly value: (image: ImageModel) => string | number
  readonly descending: boolean
}

const COLUMN_VALUES: Record<ImageOrderField | 'ID', (image: ImageModel) => string | number> = {
  NAME: (image) => image.name,
  CREATED_AT: (image) => image.createdAtMs,
  SIZE: (image) => image.sizeGiB,
  STATE: (image) => STATE_RANK[image.state],
  REGION: (image) => image.regionId,
  ID: (image) => image.imageId,
}

/**
 * A total order over images: the requested columns, then name, region and upstream id
 * ascending, so ties are broken the same way on every request and cursors stay valid.
 */
export class ImageOrdering {
  readonly #columns: readonly Column[]

  constructor(order: readonly ImageOrder[] = DEFAULT_ORDER) {
    const seen = new Set<string>()
    const columns: Column[] = []
    const tieBreakers: ImageOrder[] = [
      { field: 'NAME', direction: 'ASC' },
      { field: 'REGION', direction: 'ASC' },
    ]
    for (const { field, direction } of [...order, ...tieBreakers]) {
      if (seen.has(field)) continue
      seen.add(field)
      columns.push({ value: COLUMN_VALUES[field], descending: direction === 'DESC' })
    }
    columns.push({ value: COLUMN_VALUES.ID, descending: false })
    this.#columns = columns
  }

  get width(): number {
    return this.#columns.length
  }

  keyOf(image: ImageModel): SortKey {
    return this.#columns.map((column) => column.value(image))
  }

  compareImages = (a: ImageModel, b: ImageModel): number => {
    for (const column of this.#columns) {
      const order = compareValues(column.value(a), column.value(b))
      if (order !== 0) return column.descending ? -order : order
    }
    return 0
  }

  compareToKey(image: ImageModel, key: SortKey): number {
    for (let i = 0; i < this.#columns.length; i++) {
      const column = this.#columns[i] as Column
      const order = compareValues(column.value(image), key[i] as string | number)
      if (order !== 0) return column.descending ? -order : order
    }
    return 0
  }

  /** Whether a decoded cursor key has the shape of this ordering's keys. */
  fitsKey(key: readonly unknown[]): key is SortKey {
    if (key.length !== this.#columns.length) return false
    const sample = key as SortKey
    return sample.every(
      (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)),
    )
  }
}

function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b)
  // Mixed types only come from a forged cursor; order them consistently anyway.
  return typeof a === 'number' ? -1 : 1
}

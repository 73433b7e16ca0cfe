import type {
  Architecture,
  GpuVendor,
  ImageSource,
  ImageState,
  Virtualization,
} from '../generated/graphql.js'
import type { UpstreamImage } from '../upstream/types.js'
import { encodeImageId } from './global-id.js'

export const OWNER_ORGANIZATION_TAG = 'images.unikorn-cloud.org:organization-id'
export const SOURCE_TAG = 'images.unikorn-cloud.org:source'

export interface TagModel {
  readonly name: string
  readonly value: string
}

export interface SoftwareVersionModel {
  readonly name: string
  readonly version: string
}

export interface OperatingSystemModel {
  readonly kernel: string
  readonly family: string
  readonly distro: string
  readonly variant: string | null
  readonly codename: string | null
  readonly version: string
}

export interface GpuModel {
  readonly vendor: GpuVendor
  readonly driver: string
  readonly models: readonly string[]
}

const ARCHITECTURES: Record<UpstreamImage['spec']['architecture'], Architecture> = {
  x86_64: 'X86_64',
  aarch64: 'AARCH64',
}
const VIRTUALIZATIONS: Record<UpstreamImage['spec']['virtualization'], Virtualization> = {
  virtualized: 'VIRTUALIZED',
  baremetal: 'BAREMETAL',
  any: 'ANY',
}
const STATES: Record<UpstreamImage['status']['state'], ImageState> = {
  pending: 'PENDING',
  creating: 'CREATING',
  ready: 'READY',
  failed: 'FAILED',
}
// A Map, so a tag value such as `constructor` cannot reach Object.prototype.
const SOURCES: ReadonlyMap<string, ImageSource> = new Map([
  ['import', 'IMPORT'],
  ['snapshot', 'SNAPSHOT'],
])
const NO_TAGS: readonly TagModel[] = []

/**
 * An image as the schema shows it, over one upstream image (already validated against the
 * contract). Fields are derived on first access and kept: a region's answer may hold 10,000
 * images of which a request shows 50, so mapping everything up front would dominate the cost
 * of large lists. Default field resolvers read the getters like plain properties.
 */
export class ImageModel {
  readonly regionId: string
  readonly #upstream: UpstreamImage
  #id: string | undefined
  #owner: string | null | undefined
  #createdAtMs: number | undefined
  #os: OperatingSystemModel | undefined
  #softwareVersions: readonly SoftwareVersionModel[] | undefined
  #gpu: GpuModel | null | undefined

  constructor(regionId: string, upstream: UpstreamImage) {
    this.regionId = regionId
    this.#upstream = upstream
  }

  /** The upstream image this model reads (for caches that store answers as the upstream sent them). */
  get upstream(): UpstreamImage {
    return this.#upstream
  }

  get id(): string {
    this.#id ??= encodeImageId({
      regionId: this.regionId,
      ownerOrganizationId: this.ownerOrganizationId,
      imageId: this.imageId,
    })
    return this.#id
  }

  get imageId(): string {
    return this.#upstream.metadata.id
  }

  get name(): string {
    return this.#upstream.metadata.name
  }

  get description(): string | null {
    return this.#upstream.metadata.description ?? null
  }

  get tags(): readonly TagModel[] {
    return this.#upstream.metadata.tags ?? NO_TAGS
  }

  get createdAt(): string {
    return this.#upstream.metadata.creationTime
  }

  /** createdAt as epoch milliseconds, for ordering without re-parsing. */
  get createdAtMs(): number {
    // The contract's date-time check is by shape; an impossible date orders as the epoch.
    this.#createdAtMs ??= Date.parse(this.#upstream.metadata.creationTime) || 0
    return this.#createdAtMs
  }

  get createdBy(): string | null {
    return this.#upstream.metadata.createdBy ?? null
  }

  get modifiedAt(): string | null {
    return this.#upstream.metadata.modifiedTime ?? null
  }

  get modifiedBy(): string | null {
    return this.#upstream.metadata.modifiedBy ?? null
  }

  get architecture(): Architecture {
    return ARCHITECTURES[this.#upstream.spec.architecture]
  }

  get sizeGiB(): number {
    return this.#upstream.spec.sizeGiB
  }

  get virtualization(): Virtualization {
    return VIRTUALIZATIONS[this.#upstream.spec.virtualization]
  }

  get os(): OperatingSystemModel {
    if (!this.#os) {
      const os = this.#upstream.spec.os
      this.#os = {
        kernel: os.kernel,
        family: os.family,
        distro: os.distro,
        variant: os.variant ?? null,
        codename: os.codename ?? null,
        version: os.version,
      }
    }
    return this.#os
  }

  /** The upstream's name-to-version map as a list sorted by name. */
  get softwareVersions(): readonly SoftwareVersionModel[] {
    this.#softwareVersions ??= Object.entries(this.#upstream.spec.softwareVersions ?? {})
      .map(([name, version]) => ({ name, version }))
      .sort((a, b) => compareCodePoints(a.name, b.name))
    return this.#softwareVersions
  }

  get gpu(): GpuModel | null {
    if (this.#gpu === undefined) {
      const gpu = this.#upstream.spec.gpu
      this.#gpu = gpu ? { vendor: gpu.vendor, driver: gpu.driver, models: gpu.models ?? [] } : null
    }
    return this.#gpu
  }

  get state(): ImageState {
    return STATES[this.#upstream.status.state]
  }

  /** The owning organization from the ownership tag; null for global images. */
  get ownerOrganizationId(): string | null {
    if (this.#owner === undefined) {
      this.#owner = this.tags.find((tag) => tag.name === OWNER_ORGANIZATION_TAG)?.value ?? null
    }
    return this.#owner
  }

  /** How the owner created the image, from the source tag; null for global images. */
  get source(): ImageSource | null {
    if (this.ownerOrganizationId === null) return null
    return SOURCES.get(this.tags.find((tag) => tag.name === SOURCE_TAG)?.value ?? '') ?? null
  }
}

/**
 * Orders strings by Unicode code point, as the Region Service (Go) sorts names. JavaScript's
 * `<` compares UTF-16 code units, which differs for characters beyond the BMP.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

// Surrogates (U+D800-DFFF) encode code points above U+FFFF, so they must rank above U+E000-FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

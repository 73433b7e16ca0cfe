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

/**
 * An image as the schema shows it: every field precomputed once per upstream answer, so the
 * default field resolvers serve it without work per field.
 */
export interface ImageModel {
  readonly id: string
  readonly imageId: string
  readonly regionId: string
  readonly name: string
  readonly description: string | null
  readonly tags: readonly TagModel[]
  readonly createdAt: string
  /** createdAt as epoch milliseconds, for ordering without re-parsing. */
  readonly createdAtMs: number
  readonly createdBy: string | null
  readonly modifiedAt: string | null
  readonly modifiedBy: string | null
  readonly architecture: Architecture
  readonly sizeGiB: number
  readonly virtualization: Virtualization
  readonly os: {
    readonly kernel: string
    readonly family: string
    readonly distro: string
    readonly variant: string | null
    readonly codename: string | null
    readonly version: string
  }
  readonly softwareVersions: readonly SoftwareVersionModel[]
  readonly gpu: {
    readonly vendor: GpuVendor
    readonly driver: string
    readonly models: readonly string[]
  } | null
  readonly state: ImageState
  readonly ownerOrganizationId: string | null
  readonly source: ImageSource | null
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
const SOURCES: Record<string, ImageSource> = { import: 'IMPORT', snapshot: 'SNAPSHOT' }

/** Maps one upstream image (already validated against the contract) to the schema's shape. */
export function toImageModel(regionId: string, image: UpstreamImage): ImageModel {
  const { metadata, spec, status } = image
  const tags = metadata.tags ?? []
  const owner = tags.find((tag) => tag.name === OWNER_ORGANIZATION_TAG)?.value ?? null
  const source =
    owner === null ? null : (SOURCES[tags.find((tag) => tag.name === SOURCE_TAG)?.value ?? ''] ?? null)
  return {
    id: encodeImageId({ regionId, ownerOrganizationId: owner, imageId: metadata.id }),
    imageId: metadata.id,
    regionId,
    name: metadata.name,
    description: metadata.description ?? null,
    tags,
    createdAt: metadata.creationTime,
    createdAtMs: Date.parse(metadata.creationTime),
    createdBy: metadata.createdBy ?? null,
    modifiedAt: metadata.modifiedTime ?? null,
    modifiedBy: metadata.modifiedBy ?? null,
    architecture: ARCHITECTURES[spec.architecture],
    sizeGiB: spec.sizeGiB,
    virtualization: VIRTUALIZATIONS[spec.virtualization],
    os: {
      kernel: spec.os.kernel,
      family: spec.os.family,
      distro: spec.os.distro,
      variant: spec.os.variant ?? null,
      codename: spec.os.codename ?? null,
      version: spec.os.version,
    },
    softwareVersions: Object.entries(spec.softwareVersions ?? {})
      .map(([name, version]) => ({ name, version }))
      .sort((a, b) => compareCodePoints(a.name, b.name)),
    gpu: spec.gpu
      ? { vendor: spec.gpu.vendor, driver: spec.gpu.driver, models: spec.gpu.models ?? [] }
      : null,
    state: STATES[status.state],
    ownerOrganizationId: owner,
    source,
  }
}

/** GraphQL enum value to the upstream's query value. */
export function toUpstreamState(state: ImageState): UpstreamImage['status']['state'] {
  return state.toLowerCase() as UpstreamImage['status']['state']
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

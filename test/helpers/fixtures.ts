import { OWNER_ORGANIZATION_TAG, SOURCE_TAG } from '../../src/demo/region-service.js'
import type { UpstreamImage, UpstreamRegion } from '../../src/upstream/types.js'

export const ORG_A = '11111111-1111-4111-8111-111111111111'
export const ORG_B = '22222222-2222-4222-8222-222222222222'

/** A deterministic UUID for test number n (distinct for every n). */
export function uuid(n: number, prefix = 'a'): string {
  const hex = n.toString(16).padStart(12, '0')
  return `${prefix.repeat(8)}-0000-4000-8000-${hex}`
}

export function makeRegion(
  id: string,
  name: string,
  type: UpstreamRegion['spec']['type'] = 'openstack',
): UpstreamRegion {
  return {
    metadata: {
      id,
      name,
      description: `${name} region`,
      creationTime: '2024-01-01T00:00:00Z',
      provisioningStatus: 'provisioned',
      healthStatus: 'healthy',
    },
    spec: { type, features: { physicalNetworks: false } },
  }
}

export interface ImageOverrides {
  readonly id?: string
  readonly name?: string
  readonly state?: UpstreamImage['status']['state']
  readonly owner?: string
  readonly source?: string
  readonly spec?: Partial<UpstreamImage['spec']>
  readonly metadata?: Partial<UpstreamImage['metadata']>
}

let counter = 0

export function makeImage(overrides: ImageOverrides = {}): UpstreamImage {
  counter++
  const tags = overrides.owner
    ? [
        { name: OWNER_ORGANIZATION_TAG, value: overrides.owner },
        ...(overrides.source ? [{ name: SOURCE_TAG, value: overrides.source }] : []),
      ]
    : []
  return {
    metadata: {
      id: overrides.id ?? `img-${counter}`,
      name: overrides.name ?? `image-${String(counter).padStart(4, '0')}`,
      creationTime: '2024-03-01T10:00:00Z',
      tags,
      ...overrides.metadata,
    },
    spec: {
      architecture: 'x86_64',
      sizeGiB: 10,
      virtualization: 'virtualized',
      os: { kernel: 'linux', family: 'debian', distro: 'ubuntu', version: '24.04' },
      ...overrides.spec,
    },
    status: { state: overrides.state ?? 'ready' },
  }
}

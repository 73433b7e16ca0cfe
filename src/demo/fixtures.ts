import { createHash } from 'node:crypto'
import type { UpstreamImage, UpstreamRegion } from '../upstream/types.js'
import { OWNER_ORGANIZATION_TAG, type RegionServiceData, SOURCE_TAG } from './region-service.js'

/** The organization the demo's own images belong to (any UUID works for the region list). */
export const DEMO_ORGANIZATION_ID = '0b8e7c1a-5d2f-4c3e-9a1b-2c3d4e5f6a7b'
export const DEMO_TOKEN = 'demo-token'

export const DEMO_REGIONS = {
  ukWest: '6f1d2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b',
  usEast: '7a2e3b4c-1d5e-4f60-9b0c-1d2e3f4a5b6c',
  euNorthKubernetes: '8b3f4c5d-2e6f-4071-8c1d-2e3f4a5b6c7d',
  simulated: '9c405d6e-3f70-4182-9d2e-3f4a5b6c7d8e',
} as const

/** A deterministic UUID-shaped id, so demo ids stay the same across restarts. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

function region(
  id: string,
  name: string,
  description: string,
  type: UpstreamRegion['spec']['type'],
): UpstreamRegion {
  return {
    metadata: {
      id,
      name,
      description,
      creationTime: '2024-01-15T09:00:00Z',
      provisioningStatus: 'provisioned',
      healthStatus: 'healthy',
    },
    spec: { type, features: { physicalNetworks: type === 'openstack' } },
  }
}

interface ImageSketch {
  readonly name: string
  readonly distro: 'ubuntu' | 'rocky' | 'debian'
  readonly version: string
  readonly architecture?: UpstreamImage['spec']['architecture']
  readonly virtualization?: UpstreamImage['spec']['virtualization']
  readonly sizeGiB: number
  readonly gpu?: GpuSketch
  readonly kubernetes?: string
  readonly state?: UpstreamImage['status']['state']
  readonly owner?: { readonly organizationId: string; readonly source: 'import' | 'snapshot' }
  readonly createdDaysAgo: number
}

const OS: Record<ImageSketch['distro'], { family: string; codenames: Record<string, string> }> = {
  ubuntu: { family: 'debian', codenames: { '22.04': 'jammy', '24.04': 'noble' } },
  debian: { family: 'debian', codenames: { '12': 'bookworm' } },
  rocky: { family: 'redhat', codenames: { '9.4': 'blue onyx', '9.5': 'blue onyx' } },
}

type GpuSketch = NonNullable<UpstreamImage['spec']['gpu']>

const NVIDIA_DATACENTER: GpuSketch = {
  vendor: 'NVIDIA',
  driver: '550.127.05',
  models: ['A100', 'H100', 'H200'],
}
const NVIDIA_HOPPER: GpuSketch = { vendor: 'NVIDIA', driver: '560.35.03', models: ['H100', 'H200'] }
const AMD_INSTINCT: GpuSketch = { vendor: 'AMD', driver: '6.2.4', models: ['MI300X'] }

const GLOBAL_IMAGES: readonly ImageSketch[] = [
  { name: 'ubuntu-24.04-server', distro: 'ubuntu', version: '24.04', sizeGiB: 10, createdDaysAgo: 40 },
  { name: 'ubuntu-22.04-server', distro: 'ubuntu', version: '22.04', sizeGiB: 10, createdDaysAgo: 200 },
  {
    name: 'ubuntu-24.04-server-arm64',
    distro: 'ubuntu',
    version: '24.04',
    architecture: 'aarch64',
    sizeGiB: 10,
    createdDaysAgo: 35,
  },
  { name: 'rocky-9.5', distro: 'rocky', version: '9.5', sizeGiB: 12, createdDaysAgo: 60 },
  { name: 'rocky-9.4', distro: 'rocky', version: '9.4', sizeGiB: 12, createdDaysAgo: 180, state: 'failed' },
  { name: 'debian-12', distro: 'debian', version: '12', sizeGiB: 8, createdDaysAgo: 90 },
  {
    name: 'ubuntu-24.04-nvidia-550',
    distro: 'ubuntu',
    version: '24.04',
    sizeGiB: 30,
    gpu: NVIDIA_DATACENTER,
    createdDaysAgo: 30,
  },
  {
    name: 'ubuntu-22.04-nvidia-550-baremetal',
    distro: 'ubuntu',
    version: '22.04',
    virtualization: 'baremetal',
    sizeGiB: 40,
    gpu: NVIDIA_DATACENTER,
    createdDaysAgo: 120,
  },
  {
    name: 'ubuntu-24.04-nvidia-560-hopper',
    distro: 'ubuntu',
    version: '24.04',
    sizeGiB: 35,
    gpu: NVIDIA_HOPPER,
    createdDaysAgo: 2,
    state: 'creating',
  },
  {
    name: 'ubuntu-24.04-rocm-6.2',
    distro: 'ubuntu',
    version: '24.04',
    virtualization: 'any',
    sizeGiB: 45,
    gpu: AMD_INSTINCT,
    createdDaysAgo: 20,
  },
  {
    name: 'rocky-9.5-rocm-6.2',
    distro: 'rocky',
    version: '9.5',
    sizeGiB: 45,
    gpu: AMD_INSTINCT,
    createdDaysAgo: 1,
    state: 'pending',
  },
  ...['v1.30.10', 'v1.31.6', 'v1.32.2'].map(
    (kubernetes, index): ImageSketch => ({
      name: `ubu2404-${kubernetes}-gpu-550`,
      distro: 'ubuntu',
      version: '24.04',
      sizeGiB: 50,
      gpu: NVIDIA_DATACENTER,
      kubernetes,
      createdDaysAgo: 70 - index * 20,
    }),
  ),
  {
    name: 'ubu2404-v1.32.2',
    distro: 'ubuntu',
    version: '24.04',
    sizeGiB: 20,
    kubernetes: 'v1.32.2',
    createdDaysAgo: 15,
  },
]

const ORGANIZATION_IMAGES: readonly ImageSketch[] = [
  {
    name: 'acme-training-base',
    distro: 'ubuntu',
    version: '24.04',
    sizeGiB: 60,
    gpu: NVIDIA_HOPPER,
    owner: { organizationId: DEMO_ORGANIZATION_ID, source: 'import' },
    createdDaysAgo: 10,
  },
  {
    name: 'acme-inference-snapshot',
    distro: 'ubuntu',
    version: '22.04',
    sizeGiB: 80,
    gpu: NVIDIA_DATACENTER,
    owner: { organizationId: DEMO_ORGANIZATION_ID, source: 'snapshot' },
    createdDaysAgo: 3,
  },
  {
    name: 'acme-rocky-hardened',
    distro: 'rocky',
    version: '9.5',
    sizeGiB: 15,
    owner: { organizationId: DEMO_ORGANIZATION_ID, source: 'import' },
    createdDaysAgo: 1,
    state: 'creating',
  },
]

const NOW = Date.parse('2026-11-01T12:00:00Z')

function image(regionId: string, sketch: ImageSketch): UpstreamImage {
  const created = new Date(NOW - sketch.createdDaysAgo * 86_400_000).toISOString().replace('.000Z', 'Z')
  const tags = sketch.owner
    ? [
        { name: OWNER_ORGANIZATION_TAG, value: sketch.owner.organizationId },
        { name: SOURCE_TAG, value: sketch.owner.source },
      ]
    : [{ name: 'catalog', value: 'provider' }]
  const codename = OS[sketch.distro].codenames[sketch.version]
  return {
    metadata: {
      id: stableUuid(`${regionId}/${sketch.name}`),
      name: sketch.name,
      description: `${sketch.distro} ${sketch.version}${sketch.gpu ? ` with ${sketch.gpu.vendor} driver ${sketch.gpu.driver}` : ''}`,
      tags,
      creationTime: created,
      createdBy: sketch.owner ? 'jane.doe@acme.example' : 'image-pipeline',
      ...(sketch.createdDaysAgo > 100
        ? { modifiedTime: new Date(NOW).toISOString(), modifiedBy: 'image-pipeline' }
        : {}),
    },
    spec: {
      architecture: sketch.architecture ?? 'x86_64',
      sizeGiB: sketch.sizeGiB,
      virtualization: sketch.virtualization ?? 'virtualized',
      os: {
        kernel: 'linux',
        family: OS[sketch.distro].family,
        distro: sketch.distro,
        variant: 'server',
        ...(codename ? { codename } : {}),
        version: sketch.version,
      },
      ...(sketch.kubernetes ? { softwareVersions: { kubernetes: sketch.kubernetes } } : {}),
      ...(sketch.gpu ? { gpu: { ...sketch.gpu, models: [...(sketch.gpu.models ?? [])] } } : {}),
    },
    status: { state: sketch.state ?? 'ready' },
  }
}

/** The demo cloud: two OpenStack regions, a Kubernetes region (no images) and a simulated one. */
export function demoData(): RegionServiceData {
  const regions = [
    region(DEMO_REGIONS.ukWest, 'uk-west-1', 'GPU region in the UK', 'openstack'),
    region(DEMO_REGIONS.usEast, 'us-east-1', 'GPU region in the US', 'openstack'),
    region(DEMO_REGIONS.euNorthKubernetes, 'eu-north-k8s-1', 'Managed Kubernetes region', 'kubernetes'),
    region(DEMO_REGIONS.simulated, 'sim-1', 'Simulated region for testing', 'simulated'),
  ]
  const all = [...GLOBAL_IMAGES, ...ORGANIZATION_IMAGES]
  return {
    regions,
    images: {
      [DEMO_REGIONS.ukWest]: all.map((sketch) => image(DEMO_REGIONS.ukWest, sketch)),
      // The US region lacks the newest builds, as real regions lag each other.
      [DEMO_REGIONS.usEast]: all
        .filter((sketch) => sketch.createdDaysAgo > 2)
        .map((sketch) => image(DEMO_REGIONS.usEast, sketch)),
      [DEMO_REGIONS.simulated]: GLOBAL_IMAGES.slice(0, 3).map((sketch) =>
        image(DEMO_REGIONS.simulated, sketch),
      ),
    },
  }
}

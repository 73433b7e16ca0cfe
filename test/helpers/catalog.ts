import { OWNER_ORGANIZATION_TAG, SOURCE_TAG } from '../../src/demo/region-service.js'
import type { UpstreamImage } from '../../src/upstream/types.js'
import { ORG_A, ORG_B, uuid } from './fixtures.js'

/** A small deterministic PRNG (mulberry32), so the catalogue is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export const CATALOG_REGIONS = [uuid(1, 'c'), uuid(2, 'c'), uuid(3, 'c'), uuid(4, 'c')]

const DISTROS = [
  { distro: 'ubuntu', family: 'debian', versions: ['22.04', '24.04'] },
  { distro: 'debian', family: 'debian', versions: ['12'] },
  { distro: 'rocky', family: 'redhat', versions: ['9.4', '9.5'] },
]
const GPUS = [
  null,
  null,
  { vendor: 'NVIDIA', driver: '550.127.05', models: ['A100', 'H100', 'H200'] },
  { vendor: 'NVIDIA', driver: '560.35.03', models: ['H100'] },
  { vendor: 'AMD', driver: '6.2.4', models: ['MI300X'] },
] as const
const KUBERNETES = ['v1.30.10', 'v1.31.6', 'v1.32.2']
const STATES = ['ready', 'ready', 'ready', 'pending', 'creating', 'failed'] as const
const NAMES = ['base', 'gpu', 'k8s-node', 'hardened', 'Ubuntu-Pro', 'ml-stack', 'zeta', 'Zulu']

/**
 * 250 images per region (1,000 in all) with every attribute varied, names repeated (ties)
 * and upstream ids repeated across regions.
 */
export function catalog(): Record<string, UpstreamImage[]> {
  const next = random(42)
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T
  const result: Record<string, UpstreamImage[]> = {}
  for (const regionId of CATALOG_REGIONS) {
    const images: UpstreamImage[] = []
    for (let index = 0; index < 250; index++) {
      const os = pick(DISTROS)
      const gpu = pick(GPUS)
      const owner = pick([null, null, null, ORG_A, ORG_B])
      const software: Record<string, string> = {}
      if (next() < 0.3) software.kubernetes = pick(KUBERNETES)
      if (next() < 0.1) software.containerd = 'v1.7.22'
      const tags = [
        ...(owner
          ? [
              { name: OWNER_ORGANIZATION_TAG, value: owner },
              { name: SOURCE_TAG, value: pick(['import', 'snapshot']) },
            ]
          : []),
        ...(next() < 0.4 ? [{ name: 'tier', value: pick(['gold', 'silver']) }] : []),
      ]
      images.push({
        metadata: {
          // The same upstream ids in every region, on purpose.
          id: `image-${String(index).padStart(3, '0')}`,
          name: `${pick(NAMES)}-${os.distro}-${Math.floor(next() * 6)}`,
          creationTime: new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 400) * 86_400_000)
            .toISOString()
            .replace('.000Z', 'Z'),
          tags,
        },
        spec: {
          architecture: next() < 0.8 ? 'x86_64' : 'aarch64',
          sizeGiB: pick([8, 10, 20, 30, 50, 80]),
          virtualization: pick(['virtualized', 'virtualized', 'baremetal', 'any']),
          os: {
            kernel: 'linux',
            family: os.family,
            distro: os.distro,
            version: pick(os.versions),
            ...(next() < 0.7 ? { variant: pick(['server', 'minimal']) } : {}),
          },
          ...(Object.keys(software).length > 0 ? { softwareVersions: software } : {}),
          ...(gpu ? { gpu: { vendor: gpu.vendor, driver: gpu.driver, models: [...gpu.models] } } : {}),
        },
        status: { state: pick(STATES) },
      })
    }
    result[regionId] = images
  }
  return result
}

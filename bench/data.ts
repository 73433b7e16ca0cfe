import { OWNER_ORGANIZATION_TAG, SOURCE_TAG } from '../src/images/model.js'
import type { UpstreamImage } from '../src/upstream/types.js'

export const BENCH_ORGANIZATION = '11111111-1111-4111-8111-111111111111'

/** Tokens containing this fail on every call of the bench's upstream (the hostile mix's failing tenant). */
export const FAILING_TENANT = 'failing-tenant'

/** A deterministic region id for bench region n. */
export function benchRegionId(n: number): string {
  return `bbbbbbbb-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
}

const DISTROS = [
  { distro: 'ubuntu', family: 'debian', versions: ['22.04', '24.04'], codename: 'noble' },
  { distro: 'debian', family: 'debian', versions: ['12'], codename: 'bookworm' },
  { distro: 'rocky', family: 'redhat', versions: ['9.4', '9.5'], codename: 'blue-onyx' },
]
const GPUS = [
  undefined,
  { vendor: 'NVIDIA', driver: '550.127.05', models: ['A100', 'H100', 'H200'] },
  { vendor: 'NVIDIA', driver: '560.35.03', models: ['H100'] },
  { vendor: 'AMD', driver: '6.2.4', models: ['MI300X'] },
] as const
const KUBERNETES = ['v1.30.10', 'v1.31.6', 'v1.32.2']
const STATES = ['ready', 'ready', 'ready', 'ready', 'pending', 'creating', 'failed'] as const

/** `count` realistic images for a region, the same on every run, sorted by name like the upstream. */
export function benchImages(region: number, count: number): UpstreamImage[] {
  const images: UpstreamImage[] = []
  for (let index = 0; index < count; index++) {
    const os = DISTROS[index % DISTROS.length] as (typeof DISTROS)[number]
    const gpu = GPUS[(index >> 1) % GPUS.length]
    const owned = index % 9 === 0
    const kubernetes = index % 4 === 0 ? KUBERNETES[index % KUBERNETES.length] : undefined
    images.push({
      metadata: {
        id: `${region.toString(16).padStart(4, '0')}${index.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
        name: `${os.distro}-${os.versions[index % os.versions.length]}-${gpu ? gpu.vendor.toLowerCase() : 'cpu'}-${String(index).padStart(5, '0')}`,
        description: `Image ${index} of region ${region}`,
        creationTime: new Date(Date.UTC(2024, 0, 1) + index * 3_600_000).toISOString(),
        createdBy: 'image-pipeline',
        tags: owned
          ? [
              { name: OWNER_ORGANIZATION_TAG, value: BENCH_ORGANIZATION },
              { name: SOURCE_TAG, value: index % 2 === 0 ? 'import' : 'snapshot' },
            ]
          : [{ name: 'catalog', value: 'provider' }],
      },
      spec: {
        architecture: index % 5 === 0 ? 'aarch64' : 'x86_64',
        sizeGiB: [10, 20, 30, 50, 80][index % 5] as number,
        virtualization: index % 7 === 0 ? 'baremetal' : 'virtualized',
        os: {
          kernel: 'linux',
          family: os.family,
          distro: os.distro,
          variant: 'server',
          codename: os.codename,
          version: os.versions[index % os.versions.length] as string,
        },
        ...(kubernetes ? { softwareVersions: { kubernetes } } : {}),
        ...(gpu ? { gpu: { vendor: gpu.vendor, driver: gpu.driver, models: [...gpu.models] } } : {}),
      },
      status: { state: STATES[index % STATES.length] as (typeof STATES)[number] },
    })
  }
  return images.sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  )
}

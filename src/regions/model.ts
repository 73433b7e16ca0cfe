import type { RegionType } from '../generated/graphql.js'
import type { UpstreamRegion } from '../upstream/types.js'

/** A region as the schema shows it; name/type are null when only the id is known. */
export interface RegionModel {
  readonly id: string
  readonly name: string | null
  readonly description: string | null
  readonly type: RegionType | null
  readonly physicalNetworks: boolean | null
}

const TYPES: Record<UpstreamRegion['spec']['type'], RegionType> = {
  openstack: 'OPENSTACK',
  kubernetes: 'KUBERNETES',
  simulated: 'SIMULATED',
}

export function toRegionModel(region: UpstreamRegion): RegionModel {
  return {
    id: region.metadata.id,
    name: region.metadata.name,
    description: region.metadata.description ?? null,
    type: TYPES[region.spec.type],
    physicalNetworks: region.spec.features.physicalNetworks,
  }
}

export function regionById(id: string): RegionModel {
  return { id, name: null, description: null, type: null, physicalNetworks: null }
}

/** Kubernetes regions have no image service: the upstream answers 500, so they are never asked. */
export function hasImageService(region: RegionModel): boolean {
  return region.type !== 'KUBERNETES'
}

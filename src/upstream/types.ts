import type { components } from './region-api.generated.js'

/** Upstream payload types, generated from the vendored OpenAPI contract (openapi/region-api.yaml). */
export type UpstreamImage = components['schemas']['image']
export type UpstreamImageState = components['schemas']['imageState']
export type UpstreamRegion = components['schemas']['regionRead']
export type UpstreamErrorBody = components['schemas']['error']
export type UpstreamImageScope = 'owned' | 'available'

import type {
  ImageConnectionResolvers,
  ImageFacetsResolvers,
  ImageResolvers,
  NodeResolvers,
} from '../generated/graphql.js'
import { facetCounts, groupedFacetCounts } from '../images/facets.js'

export const Image: ImageResolvers = {
  softwareVersion: (image, { name }) =>
    image.softwareVersions.find((software) => software.name === name)?.version ?? null,
}

export const Node: NodeResolvers = {
  // Images are the only nodes so far.
  __resolveType: () => 'Image',
}

export const ImageConnection: ImageConnectionResolvers = {
  edges: (connection) => connection.nodes.map((node) => ({ node, cursor: connection.cursorOf(node) })),
}

// Each facet is counted only when selected.
export const ImageFacets: ImageFacetsResolvers = {
  architectures: ({ images }) => facetCounts(images, 'architectures'),
  virtualizations: ({ images }) => facetCounts(images, 'virtualizations'),
  states: ({ images }) => facetCounts(images, 'states'),
  distros: ({ images }) => facetCounts(images, 'distros'),
  gpuVendors: ({ images }) => facetCounts(images, 'gpuVendors'),
  gpuModels: ({ images }) => facetCounts(images, 'gpuModels'),
  softwareNames: ({ images }) => facetCounts(images, 'softwareNames'),
  sources: ({ images }) => facetCounts(images, 'sources'),
  regions: ({ images }) => facetCounts(images, 'regions'),
  osVersions: ({ images }) => groupedFacetCounts(images, 'osVersions'),
  softwareVersions: ({ images }) => groupedFacetCounts(images, 'softwareVersions'),
}

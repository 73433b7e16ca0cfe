import type {
  ImageConnectionResolvers,
  ImageFacetsResolvers,
  ImageResolvers,
  NodeResolvers,
} from '../generated/graphql.js'
import { countFacet, countGroupedFacet, FACET_VALUES, GROUPED_FACET_VALUES } from '../images/facets.js'

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
  architectures: ({ images }) => countFacet(images, FACET_VALUES.architectures),
  virtualizations: ({ images }) => countFacet(images, FACET_VALUES.virtualizations),
  states: ({ images }) => countFacet(images, FACET_VALUES.states),
  distros: ({ images }) => countFacet(images, FACET_VALUES.distros),
  gpuVendors: ({ images }) => countFacet(images, FACET_VALUES.gpuVendors),
  gpuModels: ({ images }) => countFacet(images, FACET_VALUES.gpuModels),
  softwareNames: ({ images }) => countFacet(images, FACET_VALUES.softwareNames),
  sources: ({ images }) => countFacet(images, FACET_VALUES.sources),
  regions: ({ images }) => countFacet(images, FACET_VALUES.regions),
  osVersions: ({ images }) => countGroupedFacet(images, GROUPED_FACET_VALUES.osVersions),
  softwareVersions: ({ images }) => countGroupedFacet(images, GROUPED_FACET_VALUES.softwareVersions),
}

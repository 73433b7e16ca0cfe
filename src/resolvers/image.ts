import type { ImageConnectionResolvers, ImageResolvers } from '../generated/graphql.js'

export const Image: ImageResolvers = {
  softwareVersion: (image, { name }) =>
    image.softwareVersions.find((software) => software.name === name)?.version ?? null,
}

export const ImageConnection: ImageConnectionResolvers = {
  edges: (connection) => connection.nodes.map((node) => ({ node, cursor: connection.cursorOf(node) })),
}

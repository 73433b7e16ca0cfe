import type { Resolvers } from '../generated/graphql.js'
import { Image, ImageConnection, ImageFacets, Node } from './image.js'
import { Query } from './query.js'
import { Region } from './region.js'
import { DateTime } from './scalars.js'

export const resolvers: Resolvers = { DateTime, Query, Region, Image, ImageConnection, ImageFacets, Node }

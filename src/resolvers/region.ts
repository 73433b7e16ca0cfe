import type { RegionResolvers } from '../generated/graphql.js'
import { regionImageList } from './image-list.js'

export const Region: RegionResolvers = {
  images: (region, args, context) => regionImageList(region, args, context),
}

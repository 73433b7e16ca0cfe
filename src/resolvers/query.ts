import type { QueryResolvers } from '../generated/graphql.js'
import { regionById } from '../regions/model.js'
import { requireUuid } from '../validation.js'
import { imageLookup, mergedImageList, nodeLookup } from './image-list.js'

export const Query: QueryResolvers = {
  gateway: (_parent, _args, context) => context.gateway,
  images: (_parent, args, context) => mergedImageList(args, context),
  image: (_parent, args, context) => imageLookup(args, context),
  node: (_parent, { id }, context) => nodeLookup(id, context),
  region: (_parent, { id }) => regionById(requireUuid(id, 'id')),
  regions: (_parent, { organizationId }, context) =>
    context.loaders.regionsByOrganization.load(requireUuid(organizationId, 'organizationId')),
}

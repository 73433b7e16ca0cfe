import type { QueryResolvers } from '../generated/graphql.js'
import { regionById } from '../regions/model.js'
import { requireUuid } from '../validation.js'
import { mergedImageList } from './image-list.js'

export const Query: QueryResolvers = {
  gateway: (_parent, _args, context) => context.gateway,
  images: (_parent, { regionIds, ...args }, context) => mergedImageList(regionIds, args, context),
  region: (_parent, { id }) => regionById(requireUuid(id, 'id')),
  regions: (_parent, { organizationId }, context) =>
    context.loaders.regionsByOrganization.load(requireUuid(organizationId, 'organizationId')),
}

import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases'
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth'
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives'
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection'
import type { GraphQLError, ValidationContext } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { SecurityConfig } from '../config.js'
import { type QueryLimit, queryLimitExceeded } from '../errors.js'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../images/paging.js'
import { useHiddenSuggestions } from './hidden-suggestions.js'
import { useOperationCost } from './operation-cost.js'

/**
 * Turns a graphql-armor rejection into a validation error from the catalogue
 * (BAD_USER_INPUT with `extensions.limit`), reported like any other validation error so the
 * operation never executes.
 */
function reportAs(limit: QueryLimit) {
  return [
    (context: ValidationContext | null, error: GraphQLError) => {
      context?.reportError(queryLimitExceeded(limit, error.message.replace(/^Syntax Error: /, '')))
    },
  ]
}

/** Caps the document's token count in graphql's own parser: parsing stops at the limit. */
function useMaxTokens(maxTokens: number): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => parseFn(source, { ...options, maxTokens }))
    },
  }
}

/**
 * Limits on what one operation may ask for: tokens, depth, aliases, directives and cost,
 * introspection and field suggestions as configured. Every limit rejects before execution,
 * so a hostile operation never reaches the upstream.
 */
export function useQueryLimits(security: SecurityConfig, maxRegionsPerQuery: number): Plugin[] {
  const plugins: Plugin[] = [
    useMaxTokens(security.maxTokens),
    maxDepthPlugin({
      n: security.maxDepth,
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: reportAs('depth'),
    }),
    maxAliasesPlugin({ n: security.maxAliases, propagateOnRejection: false, onReject: reportAs('aliases') }),
    maxDirectivesPlugin({
      n: security.maxDirectives,
      propagateOnRejection: false,
      onReject: reportAs('directives'),
    }),
    useOperationCost({
      maxCost: security.maxCost,
      defaultPageSize: DEFAULT_PAGE_SIZE,
      maxPageSize: MAX_PAGE_SIZE,
      maxRegions: maxRegionsPerQuery,
    }),
  ]
  if (!security.fieldSuggestions) plugins.push(useHiddenSuggestions())
  if (!security.introspection) plugins.push(useDisableIntrospection())
  return plugins
}

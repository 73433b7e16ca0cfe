import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { queryLimitExceeded } from '../errors.js'

/** The type whose fields are image lists: each one costs its regions x page size. */
const IMAGE_LIST_TYPE = 'ImageConnection'

export interface OperationCostOptions {
  /** Page size of an image list without `first`. */
  readonly defaultPageSize: number
  /** Larger `first` values are rejected by the resolvers; the estimate stops there. */
  readonly maxPageSize: number
  /** Larger `regionIds` lists are rejected by the resolvers; also the assumed size of other lists. */
  readonly maxRegions: number
}

/**
 * An upper bound of the images an operation can return: every image list counts
 * regions x (page size + 1) (the +1 is the region's upstream read, so `first: 0` is not free),
 * where an organization-wide list (`organizationId`) counts as `maxRegions` regions,
 * multiplied by the assumed size of the lists it is nested in (a `regions` list counts as
 * `maxRegions` regions). Fragments are costed once and scaled, so nesting them cannot make the
 * estimate itself expensive.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  options: OperationCostOptions,
): number {
  const operation = getOperationAST(document, operationName)
  const root = operation ? schema.getRootType(operation.operation) : undefined
  if (!operation || !root) return 0
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  }
  const fragmentCosts = new Map<string, number>()
  const inProgress = new Set<string>()

  const selectionSetCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType): number => {
    let cost = 0
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parent)
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent
        if (type) cost += selectionSetCost(selection.selectionSet, type)
      } else {
        cost += fragmentCost(selection.name.value)
      }
    }
    return cost
  }

  const fragmentCost = (name: string): number => {
    const known = fragmentCosts.get(name)
    if (known !== undefined) return known
    const fragment = fragments.get(name)
    // Unknown or cyclic fragments fail validation; they cost nothing here.
    if (!fragment || inProgress.has(name)) return 0
    const type = schema.getType(fragment.typeCondition.name.value)
    inProgress.add(name)
    const cost = type ? selectionSetCost(fragment.selectionSet, type) : 0
    inProgress.delete(name)
    fragmentCosts.set(name, cost)
    return cost
  }

  const fieldCost = (field: FieldNode, parent: GraphQLNamedType): number => {
    const definition = fieldsOf(parent)?.[field.name.value]
    if (!definition || !field.selectionSet) return 0
    const type = namedType(definition.type)
    if (type.name === IMAGE_LIST_TYPE) {
      const regionIds = argumentValue(field, 'regionIds', variables)
      // An organization's list reads every region of it, which is not known before it runs.
      const organizationWide = argumentValue(field, 'organizationId', variables) !== undefined
      const regions = organizationWide
        ? options.maxRegions
        : regionIds === undefined
          ? 1
          : Array.isArray(regionIds)
            ? regionIds.length
            : 1
      const first = argumentValue(field, 'first', variables)
      const pageSize = typeof first === 'number' && first >= 0 ? first : options.defaultPageSize
      return Math.min(regions, options.maxRegions) * (Math.min(pageSize, options.maxPageSize) + 1)
    }
    const multiplier = isList(definition.type) ? options.maxRegions : 1
    return multiplier * selectionSetCost(field.selectionSet, type)
  }

  return selectionSetCost(operation.selectionSet, root)
}

// Structural type checks rather than graphql's instanceof-based predicates: a test runner may
// load graphql's ESM build for this file and its CommonJS build for yoga's schema.
type TypeWrapper = { readonly ofType?: GraphQLOutputType }

function fieldsOf(type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | undefined {
  const candidate = type as { getFields?: () => Record<string, GraphQLField<unknown, unknown>> }
  // Input objects have fields too, but no output field ever has an input object type.
  return typeof candidate.getFields === 'function' ? candidate.getFields() : undefined
}

function namedType(type: GraphQLOutputType): GraphQLNamedType {
  let current: GraphQLOutputType = type
  while ((current as TypeWrapper).ofType) current = (current as TypeWrapper).ofType as GraphQLOutputType
  return current as GraphQLNamedType
}

/** A list, possibly non-null: `[T]`, `[T]!`, `[T!]!`. */
function isList(type: GraphQLOutputType): boolean {
  return String(type).replace(/!$/, '').startsWith('[')
}

function argumentValue(
  field: FieldNode,
  name: string,
  variables: Readonly<Record<string, unknown>>,
): unknown {
  const argument = field.arguments?.find((candidate) => candidate.name.value === name)
  if (!argument) return undefined
  const value: unknown = valueFromASTUntyped(argument.value, variables)
  return value ?? undefined
}

/**
 * Rejects operations whose cost (see operationCost) is over the limit before they execute, so
 * no upstream call is made. Runs at execution because the cost depends on variables.
 */
export function useOperationCost(options: OperationCostOptions & { readonly maxCost: number }): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const variables = (args.variableValues ?? {}) as Record<string, unknown>
      const cost = operationCost(args.schema, args.document, args.operationName, variables, options)
      if (cost <= options.maxCost) return
      const error = queryLimitExceeded(
        'cost',
        `The operation could return up to ${cost} images (regions x page size, +1 per region read); the limit is ${options.maxCost}. Ask for fewer regions or smaller pages.`,
      )
      error.extensions.cost = cost
      error.extensions.maxCost = options.maxCost
      // A request error like a validation error: 400 for application/graphql-response+json,
      // 200 for legacy application/json clients (yoga strips `http` from the answer).
      error.extensions.http = { status: 400, spec: true }
      setResultAndStopExecution({ errors: [error] })
    },
  }
}

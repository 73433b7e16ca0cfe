import { readFileSync } from 'node:fs'
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'
import type { UpstreamErrorBody, UpstreamImage, UpstreamRegion } from './types.js'

/** The vendored contract; the same file the upstream types are generated from. */
export const REGION_API_SPEC_URL = new URL('../../openapi/region-api.yaml', import.meta.url)

export interface ContractValidators {
  readonly images: ValidateFunction<UpstreamImage[]>
  readonly regions: ValidateFunction<UpstreamRegion[]>
  readonly error: ValidateFunction<UpstreamErrorBody>
}

/**
 * Compiles validators for the upstream's payloads from the OpenAPI document itself, so what
 * the gateway accepts at its boundary is exactly what the contract promises.
 *
 * The contract's references are inlined before compiling. Ajv compiles a reference to a
 * schema that has references of its own into a function call, and every call builds an
 * options object and the instance path of the value it checks: megabytes of short-lived garbage
 * for a large answer, made while the parsed answer is alive, whose collections copy the answer.
 * Inlined, a valid answer allocates nothing.
 */
export function compileContractValidators(specUrl: URL = REGION_API_SPEC_URL): ContractValidators {
  const document = parse(readFileSync(specUrl, 'utf8')) as {
    components: { schemas: Record<string, unknown> }
  }
  // OpenAPI 3.0 schema objects are JSON Schema plus a few annotation keywords (example, ...).
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true })
  addFormats.default(ajv, { mode: 'fast', formats: ['date-time', 'uuid'] })
  const schemas = document.components.schemas
  const compile = <T>(name: string) =>
    ajv.compile<T>(inlineSchemaRefs({ $ref: `${SCHEMAS}${name}` }, schemas) as AnySchema)
  return {
    images: compile<UpstreamImage[]>('images'),
    regions: compile<UpstreamRegion[]>('regions'),
    error: compile<UpstreamErrorBody>('error'),
  }
}

const SCHEMAS = '#/components/schemas/'
// Keywords whose values are data, not schemas, and keywords whose values map names to schemas.
const VALUE_KEYWORDS = new Set(['enum', 'const', 'default', 'example', 'examples'])
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions', '$defs'])

/**
 * A schema with every reference to the document's schemas replaced by the schema it names.
 * Keywords beside a reference still apply (Ajv applies them too): such a node becomes an
 * `allOf` of both. A reference to anything else, or a cycle, throws: the contract has none,
 * and a validator that silently checked less would be worse than a gateway that does not start.
 */
export function inlineSchemaRefs(
  schema: unknown,
  schemas: Readonly<Record<string, unknown>>,
  within: readonly string[] = [],
): unknown {
  const inline = (value: unknown) => inlineSchemaRefs(value, schemas, within)
  if (Array.isArray(schema)) return schema.map(inline)
  if (schema === null || typeof schema !== 'object') return schema
  const { $ref, ...rest } = schema as Record<string, unknown>
  const inlined = Object.fromEntries(
    Object.entries(rest).map(([keyword, value]) => {
      if (VALUE_KEYWORDS.has(keyword)) return [keyword, value]
      if (SCHEMA_MAP_KEYWORDS.has(keyword) && value !== null && typeof value === 'object') {
        return [
          keyword,
          Object.fromEntries(Object.entries(value).map(([name, item]) => [name, inline(item)])),
        ]
      }
      return [keyword, inline(value)]
    }),
  )
  if ($ref === undefined) return inlined
  const name = typeof $ref === 'string' && $ref.startsWith(SCHEMAS) ? $ref.slice(SCHEMAS.length) : undefined
  if (name === undefined || !Object.hasOwn(schemas, name)) {
    throw new Error(`The contract refers to ${JSON.stringify($ref)}, which is not one of its schemas.`)
  }
  if (within.includes(name)) {
    throw new Error(`The contract's schema "${name}" refers to itself; it cannot be inlined.`)
  }
  const target = inlineSchemaRefs(schemas[name], schemas, [...within, name])
  return Object.keys(inlined).length === 0 ? target : { allOf: [target, inlined] }
}

/** A short, value-free description of the first violation (never echoes the payload). */
export function describeViolation(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0]
  if (!first) return 'unknown violation'
  return `${first.instancePath || '/'} ${first.message ?? 'is invalid'}`
}

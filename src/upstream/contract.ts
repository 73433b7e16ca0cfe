import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
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
 */
export function compileContractValidators(specUrl: URL = REGION_API_SPEC_URL): ContractValidators {
  const document = parse(readFileSync(specUrl, 'utf8')) as {
    components: { schemas: Record<string, unknown> }
  }
  // OpenAPI 3.0 schema objects are JSON Schema plus a few annotation keywords (example, ...).
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true })
  addFormats.default(ajv, { mode: 'fast', formats: ['date-time', 'uuid'] })
  ajv.addSchema({ $id: 'region-api', components: document.components })
  const compile = <T>(name: string) => ajv.compile<T>({ $ref: `region-api#/components/schemas/${name}` })
  return {
    images: compile<UpstreamImage[]>('images'),
    regions: compile<UpstreamRegion[]>('regions'),
    error: compile<UpstreamErrorBody>('error'),
  }
}

/** A short, value-free description of the first violation (never echoes the payload). */
export function describeViolation(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0]
  if (!first) return 'unknown violation'
  return `${first.instancePath || '/'} ${first.message ?? 'is invalid'}`
}

import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { demoData } from '../src/demo/fixtures.js'
import {
  compileContractValidators,
  describeViolation,
  inlineSchemaRefs,
  REGION_API_SPEC_URL,
} from '../src/upstream/contract.js'

// The gateway compiles its validators from the contract with every reference inlined (so a
// valid answer allocates nothing while it is checked). These tests hold it to the validators
// Ajv builds from the contract as written, references and all.

const schemas = (
  parse(readFileSync(REGION_API_SPEC_URL, 'utf8')) as { components: { schemas: Record<string, unknown> } }
).components.schemas

function validatorsAsWritten() {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true })
  addFormats.default(ajv, { mode: 'fast', formats: ['date-time', 'uuid'] })
  ajv.addSchema({ $id: 'region-api', components: { schemas } })
  const compile = (name: string) => ajv.compile({ $ref: `region-api#/components/schemas/${name}` })
  return { images: compile('images'), regions: compile('regions'), error: compile('error') }
}

const gateway = compileContractValidators()
const asWritten = validatorsAsWritten()
const data = demoData()
const images = Object.values(data.images).flat()

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Every path to a value inside a JSON document (the root excluded). */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return []
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value)
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])])
}

/** A copy of `document` with the value at `path` replaced, or removed when `replacement` is undefined. */
function changed(document: Json, path: readonly (string | number)[], replacement: Json | undefined): Json {
  const copy = structuredClone(document)
  let parent = copy as Record<string | number, Json>
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>
  const last = path[path.length - 1] as string | number
  if (replacement !== undefined) parent[last] = replacement
  else if (Array.isArray(parent)) parent.splice(last as number, 1)
  else delete parent[last]
  return copy
}

function verdicts(
  validate: (value: unknown) => boolean,
  errors: () => Parameters<typeof describeViolation>[0],
) {
  return (value: unknown) => {
    const valid = validate(value)
    return { valid, violation: valid ? null : describeViolation(errors()) }
  }
}

describe('the contract validators', () => {
  it('are compiled without a single reference left', () => {
    for (const name of ['images', 'regions', 'error']) {
      const inlined = JSON.stringify(inlineSchemaRefs({ $ref: `#/components/schemas/${name}` }, schemas))
      expect(inlined).not.toContain('"$ref"')
      // The named schema's own keywords are there: the reference was replaced, not dropped.
      expect(inlined).toContain(JSON.stringify((schemas[name] as { description: string }).description))
    }
  })

  it('accept every demo answer, as the contract as written does', () => {
    expect(images.length).toBeGreaterThan(10)
    expect(gateway.images(images)).toBe(true)
    expect(asWritten.images(images)).toBe(true)
    expect(gateway.regions(data.regions)).toBe(true)
    expect(gateway.error({ error: 'access_denied', error_description: 'no', trace_id: 't' })).toBe(
      asWritten.error({ error: 'access_denied', error_description: 'no', trace_id: 't' }),
    )
  })

  it('judge any change to an answer exactly as the contract as written does, first violation included', () => {
    const answer = images.slice(0, 3) as unknown as Json
    const paths = pathsOf(answer)
    const ours = verdicts(gateway.images, () => gateway.images.errors)
    const theirs = verdicts(asWritten.images, () => asWritten.images.errors)
    let rejected = 0
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.option(
          fc.oneof(
            fc.jsonValue({ maxDepth: 2 }),
            fc.constantFrom(
              'ready',
              'x86_64',
              'NVIDIA',
              'v1.2.3',
              '1.2',
              '2024-01-02T03:04:05Z',
              'yesterday',
            ),
          ),
          { nil: undefined },
        ),
        (path, replacement) => {
          const candidate = changed(answer, path, replacement as Json | undefined)
          const verdict = ours(candidate)
          expect(verdict).toEqual(theirs(candidate))
          if (!verdict.valid) rejected++
        },
      ),
      { numRuns: 1500 },
    )
    // The property is only worth something if many of the changes were violations.
    expect(rejected).toBeGreaterThan(300)
  })

  it('judge region lists exactly as the contract as written does', () => {
    const ours = verdicts(gateway.regions, () => gateway.regions.errors)
    const theirs = verdicts(asWritten.regions, () => asWritten.regions.errors)
    const regions = data.regions as unknown as Json
    fc.assert(
      fc.property(
        fc.constantFrom(...pathsOf(regions)),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        (path, replacement) => {
          const candidate = changed(regions, path, replacement as Json | undefined)
          expect(ours(candidate)).toEqual(theirs(candidate))
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('inlining schema references', () => {
  const library = {
    name: { type: 'string', maxLength: 5 },
    named: { type: 'object', properties: { name: { $ref: '#/components/schemas/name' } } },
    loop: { type: 'array', items: { $ref: '#/components/schemas/loop' } },
  }

  it('replaces a reference by the schema it names, through references of references', () => {
    expect(inlineSchemaRefs({ $ref: '#/components/schemas/named' }, library)).toEqual({
      type: 'object',
      properties: { name: { type: 'string', maxLength: 5 } },
    })
  })

  it('keeps keywords beside a reference, as Ajv applies them', () => {
    const schema = inlineSchemaRefs({ $ref: '#/components/schemas/name', minLength: 2 }, library)
    expect(schema).toEqual({ allOf: [{ type: 'string', maxLength: 5 }, { minLength: 2 }] })
    const validate = new Ajv({ strict: false }).compile(schema as object)
    expect([validate('a'), validate('ab'), validate('abcdef')]).toEqual([false, true, false])
  })

  it('leaves data alone: a property called $ref, enum values and examples that look like references', () => {
    const schema = {
      type: 'object',
      properties: { $ref: { type: 'string' } },
      enum: [{ $ref: '#/components/schemas/missing' }],
      example: { $ref: 'anything' },
    }
    expect(inlineSchemaRefs(schema, library)).toEqual(schema)
  })

  it('refuses references it cannot inline, rather than checking less', () => {
    expect(() => inlineSchemaRefs({ $ref: '#/components/schemas/missing' }, library)).toThrow(
      /not one of its schemas/,
    )
    expect(() => inlineSchemaRefs({ $ref: 'other.yaml#/thing' }, library)).toThrow(/not one of its schemas/)
    expect(() => inlineSchemaRefs({ $ref: '#/components/schemas/loop' }, library)).toThrow(
      /"loop" refers to itself/,
    )
    // Not an own property: names of Object.prototype are not schemas either.
    expect(() => inlineSchemaRefs({ $ref: '#/components/schemas/constructor' }, library)).toThrow(
      /not one of its schemas/,
    )
  })
})

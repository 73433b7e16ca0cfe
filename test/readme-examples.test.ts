import { readFileSync } from 'node:fs'
import { buildSchema, parse, validate } from 'graphql'
import { describe, expect, it } from 'vitest'
import { EXAMPLE_QUERY, loadTypeDefs } from '../src/server.js'

/** Documents whose ```graphql examples must validate against the schema. */
const DOCUMENTS = ['README.md', 'docs/api.md']

const examplesOf = (path: string) =>
  [
    ...readFileSync(new URL(`../${path}`, import.meta.url), 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g),
  ].map((match) => match[1] as string)
const examples = DOCUMENTS.flatMap((path) => examplesOf(path).map((example) => ({ path, example })))

describe('documented example queries', () => {
  it('the README shows one and the API guide more', () => {
    expect(examplesOf('README.md').length).toBeGreaterThanOrEqual(1)
    expect(examples.length).toBeGreaterThanOrEqual(3)
  })

  it.each(examples.map(({ path, example }) => [path, example.split('\n')[0], example]))(
    '%s example "%s" validates',
    (_path, _first, example) => {
      const schema = buildSchema(loadTypeDefs().join('\n'))
      expect(validate(schema, parse(example as string))).toEqual([])
    },
  )

  it('the GraphiQL example query validates', () => {
    const schema = buildSchema(loadTypeDefs().join('\n'))
    expect(validate(schema, parse(EXAMPLE_QUERY))).toEqual([])
  })
})

import { readFileSync } from 'node:fs'
import { buildSchema, parse, validate } from 'graphql'
import { expect, it } from 'vitest'
import { EXAMPLE_QUERY, loadTypeDefs } from '../src/server.js'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const examples = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1] as string)

it('the README shows example queries', () => {
  expect(examples.length).toBeGreaterThanOrEqual(3)
})

it.each(examples.map((example) => [example.split('\n')[0], example]))(
  'README example "%s" validates',
  (_, example) => {
    const schema = buildSchema(loadTypeDefs().join('\n'))
    expect(validate(schema, parse(example))).toEqual([])
  },
)

it('the GraphiQL example query validates', () => {
  const schema = buildSchema(loadTypeDefs().join('\n'))
  expect(validate(schema, parse(EXAMPLE_QUERY))).toEqual([])
})

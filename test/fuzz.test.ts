import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TOKEN } from './helpers/harness.js'

// Bounded: 3,000 requests, about 20-30 s on a 2-core machine. FUZZ_SEED=<seed> replays a failing run.
const RUNS = { operations: 1200, mutations: 1500, bodies: 300 }
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)

const ALPHA = uuid(1, 'e')
const BETA = uuid(2, 'e')
const KUBE = uuid(3, 'e')

let upstream: RunningFakeUpstream
let gateway: RunningGateway

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: [makeRegion(ALPHA, 'alpha'), makeRegion(BETA, 'beta'), makeRegion(KUBE, 'kube', 'kubernetes')],
    images: {
      [ALPHA]: [
        makeImage({ name: 'debian-12' }),
        makeImage({ name: 'k8s', spec: { softwareVersions: { kubernetes: 'v1.30.1' } } }),
        makeImage({ name: 'owned', owner: ORG_A, source: 'import', state: 'pending' }),
      ],
      [BETA]: [
        makeImage({ name: 'gpu', spec: { gpu: { vendor: 'NVIDIA', driver: '550', models: ['H100'] } } }),
      ],
    },
  })
  gateway = await startGateway(upstream.url)
})

afterAll(async () => {
  await gateway.close()
  await upstream.close()
})

interface Answer {
  readonly status: number
  readonly contentType: string
  readonly text: string
}

async function post(body: string, options: { token?: boolean; accept?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.token !== false) headers.authorization = `Bearer ${TOKEN}`
  if (options.accept) headers.accept = options.accept
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers, body })
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  }
}

/** How much of the fuzzing got past validation into execution: proof the generators are not vacuous. */
const reached = { executed: 0, errors: 0 }

/** The property every answer must have, whatever was sent. */
function assertWellFormed(answer: Answer): void {
  expect(answer.status, answer.text).toBeLessThan(500)
  expect(answer.contentType).toMatch(/^application\/(graphql-response\+)?json/)
  const body = JSON.parse(answer.text) as Record<string, unknown>
  expect(body !== null && typeof body === 'object' && !Array.isArray(body)).toBe(true)
  expect('data' in body || 'errors' in body).toBe(true)
  for (const key of Object.keys(body)) expect(['data', 'errors', 'extensions']).toContain(key)
  if ('errors' in body) {
    const errors = body.errors as { message?: unknown; extensions?: { code?: unknown } }[]
    expect(Array.isArray(errors) && errors.length > 0).toBe(true)
    for (const error of errors) {
      expect(typeof error.message).toBe('string')
      // An unexpected exception would be masked as INTERNAL_SERVER_ERROR: none may happen.
      expect(error.extensions?.code, String(error.message)).not.toBe('INTERNAL_SERVER_ERROR')
      // Outside development no error may hint at the schema.
      expect(error.message).not.toMatch(/Did you mean/)
    }
  }
  if ('data' in body) expect(typeof body.data).toBe('object')
  if ('data' in body) reached.executed++
  if (body.errors) reached.errors++
  expect(answer.text).not.toContain(TOKEN)
}

const ids = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(ALPHA, BETA, KUBE, ORG_A) },
  { weight: 4, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('../../etc/passwd', '%2e%2e%2f', '', ' ', `${ALPHA}/x`, 'a'.repeat(300)),
  },
)
const enumNames = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('READY', 'FAILED', 'PENDING', 'CREATING') },
  { weight: 1, arbitrary: fc.constantFrom('OWNED', 'AVAILABLE', 'NVIDIA', 'ready', 'true', 'null') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/) },
)
const scopes = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('OWNED', 'AVAILABLE') },
  { weight: 1, arbitrary: enumNames },
)
const ints = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 600 }) },
  { weight: 1, arbitrary: fc.constantFrom(500, 501, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1e20, 1.5) },
)
const regionIdLists = fc.oneof(
  { weight: 8, arbitrary: fc.array(ids, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(ids, { minLength: 40, maxLength: 60 }) },
)
const literal = (value: string | number) =>
  typeof value === 'string' ? JSON.stringify(value) : String(value)

const imageFields = fc.subarray(
  [
    'id',
    'imageId',
    'regionId',
    'name',
    'createdAt',
    'state',
    'sizeGiB',
    'os { distro version variant }',
    'gpu { vendor models }',
    'tags { name value }',
    'softwareVersions { name version }',
    'softwareVersion(name: "kubernetes")',
    'ownerOrganizationId source',
    '__typename',
  ],
  { minLength: 1 },
)
const connectionSelection = fc
  .tuple(
    imageFields,
    fc.subarray([
      'totalCount',
      'pageInfo { hasNextPage endCursor }',
      'regions { regionId ok error { code status traceId } }',
    ]),
  )
  .map(
    ([fields, extra]) => `{ ${extra.join(' ')} nodes { ${fields.join(' ')} } edges { cursor node { id } } }`,
  )

const listArguments = fc
  .record(
    {
      organizationIds: fc.array(ids, { maxLength: 4 }),
      scope: scopes,
      status: fc.array(enumNames, { maxLength: 5 }),
      first: ints,
      after: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.base64String({ maxLength: 60 }) },
      ),
    },
    { requiredKeys: [] },
  )
  .map((args) =>
    Object.entries(args)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) =>
        Array.isArray(value)
          ? `${name}: [${value.map((item) => (name === 'status' ? item : literal(item))).join(', ')}]`
          : `${name}: ${name === 'scope' ? value : literal(value as string | number)}`,
      )
      .join(', '),
  )

const rootField = fc.oneof(
  fc
    .tuple(regionIdLists, listArguments, connectionSelection)
    .map(
      ([regionIds, args, selection]) =>
        `images(regionIds: [${regionIds.map(literal).join(', ')}]${args ? `, ${args}` : ''}) ${selection}`,
    ),
  fc
    .tuple(ids, listArguments, connectionSelection)
    .map(
      ([id, args, selection]) =>
        `region(id: ${literal(id)}) { id name images${args ? `(${args})` : ''} ${selection} }`,
    ),
  fc
    .tuple(ids, listArguments, connectionSelection)
    .map(
      ([id, args, selection]) =>
        `regions(organizationId: ${literal(id)}) { id name type images${args ? `(${args})` : ''} ${selection} }`,
    ),
  fc.constant('gateway { version demoMode }'),
)

/** Mostly valid operations with hostile values, some with variables of random shape. */
const operations = fc.record({
  fields: fc.array(rootField, { minLength: 1, maxLength: 4 }),
  // Usually distinct aliases; sometimes one repeated, which must then be rejected cleanly.
  repeatAlias: fc.oneof(
    { weight: 5, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  variables: fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('ids', 'id', 'n', 'x'), fc.jsonValue({ maxDepth: 3 })),
    },
    { weight: 3, arbitrary: fc.record({ ids: regionIdLists, n: ints }) },
  ),
  useVariables: fc.oneof(
    { weight: 3, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  token: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  accept: fc.constantFrom(undefined, 'application/json', 'application/graphql-response+json', '*/*'),
})

const SEED_DOCUMENTS = [
  `query Ready($ids: [ID!]!) { images(regionIds: $ids, status: [READY], first: 10) { totalCount pageInfo { hasNextPage endCursor } regions { regionId ok error { code message traceId } } nodes { id name regionId os { distro } gpu { vendor models } } } }`,
  `query R($org: ID!) { regions(organizationId: $org) { name type images(first: 100) { totalCount nodes { name kubernetes: softwareVersion(name: "kubernetes") } } } }`,
  `{ region(id: "${ALPHA}") { images(organizationIds: ["${ORG_A}"], scope: OWNED) { edges { cursor node { id name state } } } } }`,
  `query { ...F } fragment F on Query { gateway { version } a: images(regionIds: ["${BETA}"]) { totalCount } }`,
  `{ __schema { queryType { name } types { name fields { name } } } }`,
]
const MUTATION_ALPHABET = [
  ...'{}()[]:$!@,."#\n\t \\abcdefghijklmnopqrstuvwxyz_0123456789',
  '...',
  'query',
  'fragment',
  'on',
  '"""',
]

/** Valid documents with random edits: deletions, insertions, duplications. */
const mutated = fc
  .record({
    document: fc.constantFrom(...SEED_DOCUMENTS),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom('delete', 'insert', 'duplicate'),
        at: fc.nat(),
        length: fc.integer({ min: 1, max: 12 }),
        text: fc
          .array(fc.constantFrom(...MUTATION_ALPHABET), { minLength: 1, maxLength: 4 })
          .map((parts) => parts.join('')),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    variables: fc.oneof(fc.constant({ ids: [ALPHA, BETA], org: ORG_A }), fc.jsonValue({ maxDepth: 3 })),
  })
  .map(({ document, edits, variables }) => {
    let text = document
    for (const edit of edits) {
      const at = edit.at % (text.length + 1)
      if (edit.kind === 'delete') text = text.slice(0, at) + text.slice(at + edit.length)
      else if (edit.kind === 'insert') text = text.slice(0, at) + edit.text + text.slice(at)
      else
        text = text.slice(0, at) + text.slice(at, at + edit.length).repeat(2) + text.slice(at + edit.length)
    }
    return { query: text, variables }
  })

/** Whole request bodies of the wrong shape or not JSON at all. */
const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .record({
      query: fc.jsonValue({ maxDepth: 2 }),
      variables: fc.jsonValue({ maxDepth: 2 }),
      operationName: fc.jsonValue({ maxDepth: 1 }),
    })
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
)

describe('fuzzing the GraphQL endpoint', () => {
  let sent = 0

  it('answers random operations with hostile arguments and variables with well-formed GraphQL responses', async () => {
    await fc.assert(
      fc.asyncProperty(operations, async (operation) => {
        const selection = operation.fields
          .map((field, index) => `${operation.repeatAlias ? 'a' : `a${index}`}: ${field}`)
          .join(' ')
        const query = operation.useVariables
          ? `query Fuzz($ids: [ID!]!, $n: Int) { images(regionIds: $ids, first: $n) { totalCount nodes { id } } ${selection} }`
          : `{ ${selection} }`
        sent++
        assertWellFormed(
          await post(JSON.stringify({ query, variables: operation.variables }), {
            token: operation.token,
            ...(operation.accept ? { accept: operation.accept } : {}),
          }),
        )
      }),
      { numRuns: RUNS.operations, ...(seed === undefined ? {} : { seed }) },
    )
  }, 60_000)

  it('answers mutated documents with well-formed GraphQL responses', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (request) => {
        sent++
        assertWellFormed(await post(JSON.stringify(request)))
      }),
      { numRuns: RUNS.mutations, ...(seed === undefined ? {} : { seed }) },
    )
  }, 60_000)

  it('answers malformed request bodies with well-formed GraphQL error responses', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        sent++
        assertWellFormed(await post(body))
      }),
      { numRuns: RUNS.bodies, ...(seed === undefined ? {} : { seed }) },
    )
  }, 60_000)

  it('is still up and correct afterwards, having logged no unexpected error', async () => {
    expect(sent).toBe(RUNS.operations + RUNS.mutations + RUNS.bodies)
    // A good share executed and reached the upstream, and a good share was rejected (typical
    // runs: about 600 executed and 700 upstream calls; the bounds leave room for chance).
    expect(reached.executed).toBeGreaterThan(RUNS.operations / 6)
    expect(reached.errors).toBeGreaterThan(RUNS.mutations / 2)
    expect(upstream.requests.length).toBeGreaterThan(RUNS.operations / 10)
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200)
    const { body } = await gateway.query<{ images: { totalCount: number } }>(
      `{ images(regionIds: ["${ALPHA}", "${BETA}"]) { totalCount } }`,
    )
    expect(body).toEqual({ data: { images: { totalCount: 3 } } })
    const errors = gateway.logs.records.filter((record) => (record.level as number) >= 50)
    expect(errors).toEqual([])
    expect(gateway.logs.lines.join('\n')).not.toContain(TOKEN)
  })
})

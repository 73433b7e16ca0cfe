import { readdirSync, readFileSync } from 'node:fs'
import { buildSchema, parse, validate } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImageDetailDocument, KubernetesVersionPickerDocument } from '../client/graphql.js'
import { loadPersistedDocuments } from '../src/plugins/persisted-documents.js'
import { loadTypeDefs } from '../src/server.js'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, ORG_A, uuid } from './helpers/fixtures.js'
import { type RunningGateway, startGateway, TOKEN } from './helpers/harness.js'

const DOCUMENTS_DIR = new URL('../documents/', import.meta.url)
const REGION = uuid(1, 'd')

describe('documents/', () => {
  const schema = buildSchema(loadTypeDefs().join('\n'))
  const files = readdirSync(DOCUMENTS_DIR).filter((file) => file.endsWith('.graphql'))

  it('holds the console operations', () => {
    const names = files.flatMap((file) =>
      parse(readFileSync(new URL(file, DOCUMENTS_DIR), 'utf8')).definitions.map(
        (definition) => ('name' in definition && definition.name?.value) || '',
      ),
    )
    expect(names.sort()).toEqual([
      'ImageDetail',
      'ImagePicker',
      'KubernetesVersionPicker',
      'OrganizationImages',
    ])
  })

  it.each(files)('%s validates against the schema', (file) => {
    expect(validate(schema, parse(readFileSync(new URL(file, DOCUMENTS_DIR), 'utf8')))).toEqual([])
  })

  it('has a manifest entry for every document, and the manifest entries validate too', () => {
    const manifest = loadPersistedDocuments()
    expect(manifest.size).toBe(files.length)
    for (const document of manifest.values()) expect(validate(schema, parse(document))).toEqual([])
  })
})

describe('running persisted documents', () => {
  let upstream: RunningFakeUpstream
  let open: RunningGateway
  let locked: RunningGateway

  beforeAll(async () => {
    upstream = await startFakeUpstream({
      regions: [makeRegion(REGION, 'one')],
      images: {
        [REGION]: [
          makeImage({ name: 'k8s-a', spec: { softwareVersions: { kubernetes: 'v1.31.6' } } }),
          makeImage({ name: 'k8s-b', spec: { softwareVersions: { kubernetes: 'v1.32.2' } } }),
          makeImage({ name: 'plain' }),
        ],
      },
    })
    open = await startGateway(upstream.url)
    locked = await startGateway(upstream.url, { persistedDocumentsOnly: true })
  })

  afterAll(async () => {
    await open.close()
    await locked.close()
    await upstream.close()
  })

  const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash

  async function post(gateway: RunningGateway, body: Record<string, unknown>) {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    })
    return (await response.json()) as {
      data?: Record<string, unknown>
      errors?: { extensions?: { code?: string } }[]
    }
  }

  it('runs a document by documentId and by extensions.persistedQuery', async () => {
    const variables = { regionId: REGION, organizationId: ORG_A }
    const hash = hashOf(KubernetesVersionPickerDocument)
    for (const body of [
      { documentId: hash, variables },
      { extensions: { persistedQuery: { version: 1, sha256Hash: hash.replace('sha256:', '') } }, variables },
    ]) {
      for (const gateway of [open, locked]) {
        const result = await post(gateway, body)
        expect(result.errors).toBeUndefined()
        expect(result.data).toMatchObject({
          region: {
            images: {
              totalCount: 2,
              facets: {
                softwareVersions: [
                  { group: 'kubernetes', value: 'v1.31.6', count: 1 },
                  { group: 'kubernetes', value: 'v1.32.2', count: 1 },
                ],
              },
            },
          },
        })
      }
    }
  })

  it('says when a document is unknown', async () => {
    const result = await post(open, { documentId: `sha256:${'0'.repeat(64)}` })
    expect(result.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND')
    expect(hashOf(ImageDetailDocument)).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('refuses query texts when only persisted documents are allowed', async () => {
    const result = await post(locked, { query: '{ gateway { version } }' })
    expect(result.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY')
    const allowed = await post(open, { query: '{ gateway { version } }' })
    expect(allowed.errors).toBeUndefined()
  })
})

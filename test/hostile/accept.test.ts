// Hostile traffic, finding 9: an unacceptable Accept header was refused only after the upstream calls.
import { expect } from 'vitest'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { gatewayTest, type RunningGateway, TOKEN } from '../helpers/harness.js'

const REGION = uuid(1, 'b')

const it = gatewayTest({
  regions: [makeRegion(REGION, 'one')],
  images: { [REGION]: [makeImage({ name: 'debian-12' })] },
})

function post(gateway: RunningGateway, accept: string) {
  return fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query: `{ region(id: "${REGION}") { images { totalCount } } }` }),
  })
}

it.for(['text/html', 'application/xml', 'application/json; charset=iso-8859-1'])(
  'answers Accept: %s with 406 and no upstream call',
  async (accept, { gateway, upstream }) => {
    const response = await post(gateway, accept)
    expect(response.status).toBe(406)
    expect(response.headers.get('accept')).toContain('application/graphql-response+json')
    expect(upstream.requests).toHaveLength(0)
  },
)

it.for(['application/json', 'application/*', '*/*', 'text/html, application/graphql-response+json'])(
  'serves Accept: %s',
  async (accept, { gateway }) => {
    const response = await post(gateway, accept)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ data: { region: { images: { totalCount: 1 } } } })
  },
)

import { expect, it } from 'vitest'
import { encodeBody } from '../src/plugins/encoded-response.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { useGatewayOverUpstream } from './helpers/harness.js'

const REGION = uuid(1, 'f')
const DESCRIPTION = 'Ünïcødé in descriptions: € 日本語 \u{1F680} and "quotes"'

const env = useGatewayOverUpstream({
  regions: [makeRegion(REGION, 'one')],
  images: { [REGION]: [makeImage({ name: 'plain', metadata: { description: DESCRIPTION } })] },
})

it('encodes ASCII byte for byte and anything else as UTF-8', () => {
  for (const text of ['{"ascii":true}', DESCRIPTION, 'Latin-1 only: café', '']) {
    expect(Buffer.from(encodeBody(text)).toString('utf8')).toBe(text)
  }
})

it('answers non-ASCII text intact, with a Content-Length of its UTF-8 bytes', async () => {
  const response = await fetch(`${env.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
    body: JSON.stringify({ query: `{ region(id: "${REGION}") { images { nodes { description } } } }` }),
  })
  const bytes = Buffer.from(await response.arrayBuffer())
  expect(Number(response.headers.get('content-length'))).toBe(bytes.length)
  expect(JSON.parse(bytes.toString('utf8'))).toEqual({
    data: { region: { images: { nodes: [{ description: DESCRIPTION }] } } },
  })
})

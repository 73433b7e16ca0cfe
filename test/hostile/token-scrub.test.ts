// Hostile traffic, finding 8: upstream error text carrying a split or partial token reached callers.
import { expect } from 'vitest'
import { sendError } from '../../src/demo/region-service.js'
import { CREDENTIAL_RUN } from '../../src/upstream/scrub.js'
import { makeRegion, uuid } from '../helpers/fixtures.js'
import { gatewayTest } from '../helpers/harness.js'

const REGION = uuid(1, 'b')
const TOKEN = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.secret-part-of-the-token.4f9c2e1b7a'

const it = gatewayTest(
  { regions: [makeRegion(REGION, 'echoing')], images: {} },
  {
    // An upstream that echoes the credential, split by control characters and in pieces.
    intercept: (_request, res) => {
      const split = `${TOKEN.slice(0, 30)}\u0000\r\n${TOKEN.slice(30)}`
      sendError(res, 500, 'server_error', `bad token ${split}`, `trace-${TOKEN.slice(12, 40)}\u001b[0m`)
      return true
    },
  },
)

it('never shows a caller any run of 8 or more characters of its token', async ({ gateway }) => {
  const { body } = await gateway.query(
    `{ region(id: "${REGION}") { images { totalCount } } }`,
    {},
    { token: TOKEN },
  )
  const text = JSON.stringify(body)
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500 })
  expect(body.errors?.[0]?.message).toBe(
    `The Region Service failed for region ${REGION} (HTTP 500, server_error)`,
  )
  for (let start = 0; start + CREDENTIAL_RUN <= TOKEN.length; start++) {
    expect(text).not.toContain(TOKEN.slice(start, start + CREDENTIAL_RUN))
  }
  expect(gateway.logs.lines.join('\n')).not.toContain(TOKEN.slice(12, 40))
})

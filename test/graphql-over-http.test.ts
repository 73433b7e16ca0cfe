import { serverAudits } from 'graphql-http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecurityConfig } from '../src/config.js'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { type GatewayOptions, type RunningGateway, startGateway, TEST_SECURITY } from './helpers/harness.js'

const PRODUCTION: SecurityConfig = {
  ...TEST_SECURITY,
  introspection: false,
  graphiql: false,
  corsOrigins: [],
}

const SETTINGS: Record<string, GatewayOptions> = {
  'production, introspection on': { security: { ...PRODUCTION, introspection: true } },
  demo: {
    security: {
      ...TEST_SECURITY,
      introspection: true,
      graphiql: true,
      fieldSuggestions: true,
      corsOrigins: '*',
    },
    runtime: { demoMode: true },
  },
  production: { security: PRODUCTION },
}

/** These two audits send `__type(name: $name)`, an introspection query: refused when introspection is off. */
const INTROSPECTION_AUDITS = ['28B9', '2EA1']
/** These MAY audits send GET requests without the header CSRF prevention requires. */
const CSRF_BLOCKED_MAY_AUDITS = ['5A70', '6A70', 'D6D5']

let upstream: RunningFakeUpstream
const gateways = new Map<string, RunningGateway>()

beforeAll(async () => {
  upstream = await startFakeUpstream({ regions: [], images: {} })
  for (const [name, settings] of Object.entries(SETTINGS)) {
    gateways.set(name, await startGateway(upstream.url, settings))
  }
})

afterAll(async () => {
  for (const gateway of gateways.values()) await gateway.close()
  await upstream.close()
})

describe.each(Object.keys(SETTINGS))('GraphQL over HTTP conformance audits (%s)', (setting) => {
  // The audits send exactly what the spec describes: no token, no CSRF header.
  const audits = serverAudits({ url: () => `${gateways.get(setting)?.url}/graphql` })
  const introspectionOff = !SETTINGS[setting]?.security?.introspection
  const required = audits.filter((audit) => !audit.name.startsWith('MAY'))

  it('runs every MUST and SHOULD audit of graphql-http', () => {
    expect(required.length).toBeGreaterThanOrEqual(35)
  })

  for (const audit of required) {
    const refused = introspectionOff && INTROSPECTION_AUDITS.includes(audit.id)
    it(`${audit.id} ${refused ? 'is refused only for its introspection query' : 'passes'}: ${audit.name}`, async () => {
      const result = await audit.fn()
      if (!refused) {
        expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok')
        return
      }
      expect(result.status).not.toBe('ok')
      if (result.status !== 'ok') {
        const body = (await result.response.clone().json()) as { errors?: { message: string }[] }
        expect(body.errors?.length).toBeGreaterThan(0)
        for (const error of body.errors ?? [])
          expect(error.message).toMatch(/introspection has been disabled/)
      }
    })
  }

  it('fails only the MAY audits that send GETs without the CSRF header', async () => {
    const failing: string[] = []
    for (const audit of audits.filter((candidate) => candidate.name.startsWith('MAY'))) {
      if ((await audit.fn()).status !== 'ok') failing.push(audit.id)
    }
    expect(failing.sort()).toEqual(CSRF_BLOCKED_MAY_AUDITS)
  })
})

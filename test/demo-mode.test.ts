import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_ORGANIZATION_ID, DEMO_REGIONS, DEMO_TOKEN } from '../src/demo/fixtures.js'
import { type GatewayProcess, parse, runGatewayToExit, spawnGateway } from './helpers/process.js'

describe('npm start without REGION_API_URL (demo mode)', () => {
  let gateway: GatewayProcess

  beforeAll(async () => {
    gateway = await spawnGateway({ REGION_API_URL: '' })
  })

  afterAll(async () => {
    await gateway.exit()
  })

  async function query(body: string, token: string | null = DEMO_TOKEN) {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: body }),
    })
    return (await response.json()) as {
      data?: Record<string, never>
      errors?: { extensions?: { code?: string } }[]
    }
  }

  it('says clearly that it runs in demo mode', () => {
    const warning = gateway.lines.map(parse).find((record) => String(record?.msg).includes('DEMO MODE'))
    expect(warning).toMatchObject({ level: 40 })
  })

  it('lists the demo regions for any organization, including a kubernetes one', async () => {
    const { data } = await query(`{ regions(organizationId: "${crypto.randomUUID()}") { id name type } }`)
    const regions = data?.regions as unknown as { id: string; type: string }[]
    expect(regions.map((region) => region.id).sort()).toEqual(Object.values(DEMO_REGIONS).sort())
    expect(regions.map((region) => region.type)).toContain('KUBERNETES')
  })

  it('serves realistic fixtures: distros, GPUs, kubernetes images, owned imports and snapshots, all states', async () => {
    interface DemoNode {
      os: { distro: string }
      gpu: { vendor: string; models: string[] } | null
      kubernetes: string | null
      source: string | null
      state: string
    }
    const { data, errors } = await query(`{
      images(regionIds: ["${DEMO_REGIONS.ukWest}", "${DEMO_REGIONS.usEast}"], organizationIds: ["${DEMO_ORGANIZATION_ID}"], first: 500) {
        nodes { os { distro } gpu { vendor models } kubernetes: softwareVersion(name: "kubernetes") source state }
      }
      gateway { demoMode }
    }`)
    expect(errors).toBeUndefined()
    const nodes = (data?.images as unknown as { nodes: DemoNode[] } | undefined)?.nodes ?? []
    const values = (pick: (node: DemoNode) => unknown) => new Set(nodes.flatMap((node) => pick(node) ?? []))
    expect(values((node) => node.os.distro)).toEqual(new Set(['ubuntu', 'rocky', 'debian']))
    expect(values((node) => node.gpu?.models)).toEqual(new Set(['A100', 'H100', 'H200', 'MI300X']))
    expect(values((node) => node.gpu?.vendor)).toEqual(new Set(['NVIDIA', 'AMD']))
    expect(values((node) => node.kubernetes).size).toBeGreaterThanOrEqual(3)
    expect(values((node) => node.source)).toEqual(new Set(['IMPORT', 'SNAPSHOT']))
    expect(values((node) => node.state)).toEqual(new Set(['PENDING', 'CREATING', 'READY', 'FAILED']))
    expect(data?.gateway).toEqual({ demoMode: true })
  })

  it('behaves like the real service: 401 without a token, 404 for an unknown region', async () => {
    const anonymous = await query(`{ region(id: "${DEMO_REGIONS.ukWest}") { images { totalCount } } }`, null)
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED')
    const unknown = await query(`{ region(id: "${crypto.randomUUID()}") { images { totalCount } } }`)
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND')
  })

  it('serves GraphiQL without any CDN, with an example query and the demo token prefilled', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('query ReadyImages')
    expect(html).toContain(`Bearer ${DEMO_TOKEN}`)
    // Every script and stylesheet is inline: no <script src> or <link href> to another host.
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i)
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/i)
  })

  it('answers liveness', async () => {
    const response = await fetch(`${gateway.url}/healthz`)
    expect(response.status).toBe(200)
  })
})

describe('start-up configuration', () => {
  it('refuses bad settings and lists every problem', async () => {
    const { code, output } = await runGatewayToExit({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      REGION_API_URL: 'ftp://user:secret@example.com',
      UPSTREAM_TIMEOUT_MS: '-5',
    })
    expect(code).toBe(1)
    expect(output).toContain('PORT')
    expect(output).toContain('LOG_LEVEL')
    expect(output).toContain('REGION_API_URL')
    expect(output).toContain('UPSTREAM_TIMEOUT_MS')
    expect(output).not.toContain('secret')
  })
})

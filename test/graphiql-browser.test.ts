import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEMO_TOKEN } from '../src/demo/fixtures.js'
import { type GatewayProcess, spawnGateway } from './helpers/process.js'

const CHROMIUM = '/usr/bin/chromium'

// CI installs Debian's chromium (.ci/run); elsewhere the suite says why it did not run.
const runs = existsSync(CHROMIUM) || Boolean(process.env.CI)
let gateway: GatewayProcess
let browser: Browser

beforeAll(async () => {
  if (!runs) return
  gateway = await spawnGateway({ REGION_API_URL: '' })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await gateway?.exit()
})

it.runIf(runs)(
  'GraphiQL loads with no internet, runs the example query with the demo token and shows images',
  async () => {
    const page = await browser.newPage()
    const external: string[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol)) {
        external.push(request.url())
      }
    })
    await page.goto(`${gateway.url}/graphql`)
    const graphqlRequests: { authorization: string | undefined }[] = []
    page.on('request', (request) => {
      if (request.url().endsWith('/graphql') && request.method() === 'POST') {
        graphqlRequests.push({ authorization: request.headers().authorization })
      }
    })
    const run = page.locator('.graphiql-execute-button')
    await run.waitFor({ timeout: 30_000 })
    await expect
      .poll(() => page.locator('.graphiql-editor').first().textContent(), { timeout: 15_000 })
      .toContain('ReadyImages')
    await run.click()
    await expect
      .poll(() => page.locator('.result-window').textContent(), { timeout: 15_000 })
      .toContain('"totalCount"')
    const result = await page.locator('.result-window').textContent()
    expect(result).toMatch(/"ok":\s+true/)
    expect(result).not.toContain('UNAUTHENTICATED')
    expect(graphqlRequests.some((request) => request.authorization === `Bearer ${DEMO_TOKEN}`)).toBe(true)
    expect(external).toEqual([])
  },
  90_000,
)

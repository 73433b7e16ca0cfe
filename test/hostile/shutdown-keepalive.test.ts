import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { TOKEN } from '../helpers/harness.js'
import { type GatewayProcess, spawnGateway } from '../helpers/process.js'

const REGION = uuid(1, 'c')
const LOOPS = 12
const BODY = JSON.stringify({ query: `{ images(regionIds: ["${REGION}"]) { totalCount } }` })

/** What one request got: an HTTP status, or the error code of a failed exchange. */
type Outcome =
  | { readonly status: number; readonly connection: string | undefined }
  | { readonly error: string }

function post(port: number, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    req.end(BODY)
  })
}

let upstream: RunningFakeUpstream

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: [makeRegion(REGION, 'steady')],
    images: { [REGION]: [makeImage(), makeImage()] },
  })
})

afterAll(async () => {
  await upstream.close()
})

describe('SIGTERM under keep-alive load', () => {
  let gateway: GatewayProcess | undefined

  afterAll(() => {
    if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL')
  })

  it('answers every request or refuses the connection, never resets, and exits 0', async () => {
    gateway = await spawnGateway({
      NODE_ENV: 'production',
      REGION_API_URL: upstream.url,
      SHUTDOWN_DELAY_MS: '200',
      SHUTDOWN_GRACE_MS: '5000',
    })
    const { child } = gateway
    const port = Number(new URL(gateway.url).port)
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    let running = true
    void exited.then(() => {
      running = false
    })

    const agent = new Agent({ keepAlive: true })
    const outcomes: Outcome[] = []
    const loop = async () => {
      while (running) {
        const outcome = await post(port, agent)
        outcomes.push(outcome)
        // A refused connection costs nothing: pause so the loops do not starve the draining gateway.
        if ('error' in outcome) await sleep(5)
      }
    }
    const loops = Array.from({ length: LOOPS }, loop)

    // Mid-load: every loop has a keep-alive connection and answers are flowing.
    for (let attempt = 0; attempt < 400 && outcomes.length < LOOPS * 20; attempt++) await sleep(10)
    expect(outcomes.length).toBeGreaterThanOrEqual(LOOPS * 20)
    const beforeSignal = outcomes.length
    child.kill('SIGTERM')
    const [code, signal] = await exited
    await Promise.all(loops)
    agent.destroy()

    const errors = outcomes.flatMap((outcome) => ('error' in outcome ? [outcome.error] : []))
    const statuses = new Set(outcomes.flatMap((outcome) => ('status' in outcome ? [outcome.status] : [])))
    const counts = Object.fromEntries(
      [...new Set(errors)].map((error) => [error, errors.filter((e) => e === error).length]),
    )
    expect(counts, 'failed exchanges by error code').toEqual(
      counts.ECONNREFUSED === undefined ? {} : { ECONNREFUSED: counts.ECONNREFUSED },
    )
    expect([...statuses]).toEqual([200])
    // Answers while draining told the client to close the connection.
    expect(outcomes.some((outcome) => 'status' in outcome && outcome.connection === 'close')).toBe(true)
    // Requests were answered after the signal too (readiness delay and drain), not only refused.
    expect(outcomes.slice(beforeSignal).some((outcome) => 'status' in outcome)).toBe(true)
    expect({ code, signal }).toEqual({ code: 0, signal: null })
  }, 20_000)
})

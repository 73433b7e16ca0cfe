import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type BodyConsumer, exchange } from '../src/upstream/exchange.js'
import { SILENT, testClient } from './helpers/client.js'
import { startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { TEST_RESILIENCE } from './helpers/harness.js'

/** What the test server does with a request, by path. */
type Route = (request: IncomingMessage, response: ServerResponse) => void

const routes = new Map<string, Route>()
/** Paths the server received, in order, and whether each one's connection closed early. */
const received: string[] = []
const cutShort: string[] = []
let server: Server
let origin: string
let agent: Agent

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? ''
    received.push(path)
    response.on('close', () => {
      if (!response.writableFinished) cutShort.push(path)
    })
    const route = routes.get(path)
    if (route) route(request, response)
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

beforeEach(async () => {
  await agent?.close()
  agent = new Agent({ connections: 1 })
  received.length = 0
  cutShort.length = 0
  routes.clear()
})

const BODY = Buffer.from(
  JSON.stringify({ items: Array.from({ length: 2000 }, (_, index) => `item-${index}`) }),
)

/** Answers `BODY` in pieces, with a pause between them. */
function slowly(pauseMs: number): Route {
  return (_, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    let offset = 0
    const next = () => {
      if (response.destroyed) return
      if (offset >= BODY.length) return void response.end()
      response.write(BODY.subarray(offset, offset + 4096))
      offset += 4096
      setTimeout(next, pauseMs)
    }
    next()
  }
}

function collect(into: Buffer[]): () => BodyConsumer {
  return () => ({
    write(chunk) {
      into.push(chunk)
      return true
    },
  })
}

function get(path: string, options: { budgetMs?: number; signal?: AbortSignal; onDone?: () => void } = {}) {
  return {
    request: { origin, path, headers: { accept: 'application/json' } },
    limits: { budgetMs: 2000, ...options },
  }
}

describe('exchange', () => {
  it('hands the whole body to the consumer, with the status and headers', async () => {
    routes.set('/whole', slowly(0))
    const chunks: Buffer[] = []
    const { request, limits } = get('/whole')
    const answer = await exchange(agent, request, limits, collect(chunks))
    expect(answer).toMatchObject({ status: 200, complete: true })
    expect(answer.headers['content-type']).toBe('application/json')
    expect(Buffer.concat(chunks).equals(BODY)).toBe(true)
  })

  it('stops reading when the consumer says so, and drops the connection', async () => {
    routes.set('/stop', slowly(5))
    let seen = 0
    const { request, limits } = get('/stop')
    const answer = await exchange(agent, request, limits, () => ({
      write(chunk) {
        seen += chunk.length
        return seen < 8192
      },
    }))
    expect(answer).toMatchObject({ status: 200, complete: false })
    await expect.poll(() => cutShort).toEqual(['/stop'])
  })

  it('reads nothing when open gives no consumer', async () => {
    routes.set('/refused', slowly(5))
    const { request, limits } = get('/refused')
    const answer = await exchange(agent, request, limits, () => undefined)
    expect(answer).toMatchObject({ status: 200, complete: false })
    await expect.poll(() => cutShort).toEqual(['/refused'])
  })

  it('ends with a TimeoutError when the budget runs out before the answer or during the body', async () => {
    routes.set('/silent', () => undefined)
    routes.set('/dribble', slowly(50))
    for (const path of ['/silent', '/dribble']) {
      // Neither answer ends within the budget: only the budget can end them this early.
      const { request, limits } = get(path, { budgetMs: 150 })
      await expect(exchange(agent, request, limits, collect([]))).rejects.toMatchObject({
        name: 'TimeoutError',
      })
    }
    await expect.poll(() => cutShort).toEqual(['/silent', '/dribble'])
  })

  it("ends with the signal's reason when it aborts, and sends nothing for one aborted before", async () => {
    routes.set('/held', () => undefined)
    const controller = new AbortController()
    const { request, limits } = get('/held', { signal: controller.signal })
    const pending = exchange(agent, request, limits, collect([]))
    await expect.poll(() => received).toEqual(['/held'])
    controller.abort(new Error('the client went away'))
    await expect(pending).rejects.toThrow('the client went away')
    await expect.poll(() => cutShort).toEqual(['/held'])

    let done = false
    const before = get('/held', {
      signal: AbortSignal.abort(new Error('gone already')),
      onDone: () => {
        done = true
      },
    })
    await expect(exchange(agent, before.request, before.limits, collect([]))).rejects.toThrow('gone already')
    expect(done).toBe(true)
    // Give a request time to arrive, had it been sent.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toEqual(['/held'])
  })

  it('ends a call that runs out of time while it waits for a connection, and never sends it', async () => {
    // One connection: the second call waits behind the first.
    routes.set('/first', slowly(20))
    routes.set('/second', slowly(0))
    const first = get('/first')
    const holding = exchange(agent, first.request, first.limits, collect([]))
    await expect.poll(() => received).toEqual(['/first'])
    let lettingGo = false
    const second = get('/second', {
      budgetMs: 50,
      onDone: () => {
        lettingGo = true
      },
    })
    await expect(exchange(agent, second.request, second.limits, collect([]))).rejects.toMatchObject({
      name: 'TimeoutError',
    })
    // undici still holds it, queued: whatever caps the calls in flight is not freed yet.
    expect(lettingGo).toBe(false)
    await expect(holding).resolves.toMatchObject({ complete: true })
    await expect.poll(() => lettingGo).toBe(true)
    // Give a queued request time to be sent, had it been.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toEqual(['/first'])
  })

  it('rejects with the transport error when the connection fails', async () => {
    routes.set('/reset', (request) => request.socket.destroy())
    const { request, limits } = get('/reset')
    await expect(exchange(agent, request, limits, collect([]))).rejects.toMatchObject({ name: 'SocketError' })
  })
})

describe("the upstream client's cap on calls in flight", () => {
  it('stays taken by a call that ran out of time queued for a connection, until undici lets go of it', async () => {
    const QUICK = uuid(2)
    let release: (() => void) | undefined
    const upstream = await startFakeUpstream(
      { regions: [makeRegion(QUICK, 'quick')], images: { [QUICK]: [makeImage()] } },
      {
        // The readiness probe (no caller, its own timeout) is held: it keeps the one connection busy.
        intercept: async (request) => {
          if (request.path.includes('/organizations/'))
            await new Promise<void>((resolve) => (release = resolve))
          return false
        },
      },
    )
    // One connection, one call in flight at most, 200 ms per call.
    const client = testClient(upstream.url, {
      connections: 1,
      timeoutMs: 200,
      resilience: { ...TEST_RESILIENCE, retries: 0, maxConcurrency: 1, operationDeadlineMs: 3000 },
    })
    try {
      const probing = client.probe(5000)
      await expect.poll(() => release).toBeDefined()
      const caller = client.forCaller({
        authorization: 'Bearer t',
        callerKey: 't',
        requestId: 'cap',
        log: SILENT,
      })
      // Queued in undici behind the probe, it runs out of time without ever being sent.
      await expect(caller.listImages({ regionId: QUICK, organizationIds: [] })).rejects.toMatchObject({
        message: expect.stringMatching(/within 200 ms/),
      })
      // Its slot is still taken, so the next call waits for it rather than queueing behind the
      // probe, where its own 200 ms would run out too. The probe ends at 600 ms; undici then drops
      // the timed-out call, the slot comes free, and this call is sent and answered.
      setTimeout(() => release?.(), 600)
      const answer = await caller.listImages({ regionId: QUICK, organizationIds: [] })
      expect(answer.images).toHaveLength(1)
      await probing
    } finally {
      release?.()
      await client.close()
      await upstream.close()
    }
  })
})

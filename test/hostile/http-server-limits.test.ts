import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEALTH_ENDPOINT } from '../../src/server.js'
import { type RunningFakeUpstream, startFakeUpstream } from '../helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from '../helpers/fixtures.js'
import { type RunningGateway, startGateway } from '../helpers/harness.js'

const REGION = uuid(1, 'd')

let upstream: RunningFakeUpstream

beforeAll(async () => {
  upstream = await startFakeUpstream({
    regions: [makeRegion(REGION, 'one')],
    images: { [REGION]: [makeImage()] },
  })
})

afterAll(async () => {
  await upstream.close()
})

/** A raw connection that records what the server sent and when it closed. */
async function rawConnection(
  url: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => undefined)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return { socket, received: () => received, closed }
}

function get(url: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    req.end()
  })
}

describe('request timeouts', () => {
  let gateway: RunningGateway

  beforeAll(async () => {
    gateway = await startGateway(
      upstream.url,
      {},
      { headersTimeoutMs: 200, requestTimeoutMs: 400, connectionsCheckingIntervalMs: 50 },
    )
  })

  afterAll(async () => {
    await gateway.close()
  })

  it('answers 408 and closes a connection whose body arrives too slowly', async () => {
    const body = JSON.stringify({ query: `{ images(regionIds: ["${REGION}"]) { totalCount } }` })
    const connection = await rawConnection(gateway.url)
    connection.socket.write(
      `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    )
    let sent = 0
    let closed = false
    void connection.closed.then(() => {
      closed = true
    })
    // One byte every 50 ms keeps the connection busy, so only the request timeout can end it.
    while (!closed && sent < body.length) {
      connection.socket.write(body[sent] as string)
      sent++
      await sleep(50)
    }
    await connection.closed
    expect(sent).toBeLessThan(body.length)
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('closes a connection that never sends a request at the headers timeout', async () => {
    const connection = await rawConnection(gateway.url)
    await connection.closed
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('still answers requests sent at an ordinary pace', async () => {
    const answer = await gateway.query(`{ images(regionIds: ["${REGION}"]) { totalCount } }`)
    expect(answer.body).toEqual({ data: { images: { totalCount: 1 } } })
  })
})

describe('the connection cap', () => {
  let gateway: RunningGateway

  beforeAll(async () => {
    gateway = await startGateway(upstream.url, {}, { maxConnections: 3 })
  })

  afterAll(async () => {
    await gateway.close()
  })

  it('closes connections beyond HTTP_MAX_CONNECTIONS unanswered, and serves again once one goes', async () => {
    const held = await Promise.all([1, 2, 3].map(() => rawConnection(gateway.url)))
    // Each held connection has been accepted and answered once (and stays open: keep-alive).
    for (const connection of held) {
      connection.socket.write(`GET ${HEALTH_ENDPOINT} HTTP/1.1\r\nHost: gateway\r\n\r\n`)
    }
    for (let attempt = 0; attempt < 200; attempt++) {
      if (held.every((connection) => connection.received().startsWith('HTTP/1.1 200 '))) break
      await sleep(10)
    }
    expect(held.map((connection) => connection.received().slice(0, 13))).toEqual(
      Array(3).fill('HTTP/1.1 200 '),
    )

    expect(await get(gateway.url, HEALTH_ENDPOINT)).toBe('ECONNRESET')
    expect(
      gateway.logs.records.filter(
        (record) => record.msg === 'connection cap reached: closing new connections as they arrive',
      ),
    ).toEqual([expect.objectContaining({ level: 40, maxConnections: 3, droppedSinceStart: 1 })])

    held[0]?.socket.destroy()
    let status: number | string = 'not tried'
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await get(gateway.url, HEALTH_ENDPOINT)
      if (status !== 200) await sleep(10)
    }
    expect(status).toBe(200)
    for (const connection of held) connection.socket.destroy()
  })
})

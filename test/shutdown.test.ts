import { EventEmitter } from 'node:events'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'
import { Readiness } from '../src/readiness.js'
import { exitOnSignals, GracefulShutdown, type ShutdownOutcome } from '../src/shutdown.js'
import { LogCapture } from './helpers/harness.js'

/** A server whose /slow requests (and the end of /streaming's answer) wait until the test releases them. */
async function slowServer() {
  let release: () => void = () => undefined
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let arrived: () => void = () => undefined
  const slowArrived = new Promise<void>((resolve) => {
    arrived = resolve
  })
  const server: Server = createServer((req, res) => {
    if (req.url === '/streaming') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first part, ')
      released.then(() => res.end('last part'))
      return
    }
    if (req.url !== '/slow') return res.end('fast')
    arrived()
    released.then(() => res.end('slow done'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return { server, port, release, slowArrived }
}

function get(
  port: number,
  path: string,
): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end()
  })
}

function connectionError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
}

/** One request on a keep-alive agent: the answer, whether it reused a connection, and that connection. */
function getOn(
  agent: Agent,
  port: number,
  path: string,
): Promise<{
  status: number
  body: string
  connection: string | undefined
  reused: boolean
  socket: Socket
}> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const { socket } = res
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          connection: res.headers.connection,
          reused: req.reusedSocket,
          socket,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

/** Shutdown's waits (readiness delay, idle settle) last until the test ends them. */
function controlledWait() {
  const pending: { readonly ms: number; readonly end: () => void }[] = []
  const wait = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      pending.push({ ms, end: resolve })
      signal?.addEventListener('abort', () => resolve(), { once: true })
    })
  return { wait, pending }
}

function setUp(
  options: {
    graceMs: number
    delayMs: number
    idleSettleMs?: number
    wait?: (ms: number, signal?: AbortSignal) => Promise<void>
  },
  server: Server,
) {
  const logs = new LogCapture()
  const readiness = new Readiness()
  let cleanups = 0
  const shutdown = new GracefulShutdown({
    server,
    readiness,
    log: createLogger({ level: 'info', destination: logs }),
    cleanup: async () => {
      cleanups++
    },
    idleSettleMs: 1000,
    ...options,
  })
  return { shutdown, readiness, logs, cleanups: () => cleanups }
}

describe('GracefulShutdown', () => {
  it('turns unready, stops accepting, lets the in-flight request finish, then cleans up', async () => {
    const { server, port, release, slowArrived } = await slowServer()
    const { shutdown, readiness, cleanups } = setUp({ graceMs: 30_000, delayMs: 0 }, server)
    const inFlight = get(port, '/slow')
    await slowArrived
    expect(shutdown.inFlight).toBe(1)

    let outcome: ShutdownOutcome | undefined
    const pending = shutdown.shutdown('test')
    const done = pending.then((result) => {
      outcome = result
      return result
    })
    expect(readiness.ready).toBe(false)
    expect(await connectionError(port)).toBe('ECONNREFUSED')
    // Still waiting: the request has not been released yet.
    expect(outcome).toBeUndefined()
    expect(cleanups()).toBe(0)

    release()
    expect(await inFlight).toMatchObject({ status: 200, body: 'slow done' })
    expect(await done).toEqual({ drained: true, abandoned: 0 })
    expect(cleanups()).toBe(1)
    expect(shutdown.shutdown('again')).toBe(pending)
  })

  it('tells an in-flight request to close its connection, and does not wait for the connection’s idle timeout', async () => {
    const { server, port, release, slowArrived } = await slowServer()
    server.keepAliveTimeout = 60_000
    const { shutdown } = setUp({ graceMs: 30_000, delayMs: 0 }, server)
    const agent = new Agent({ keepAlive: true })
    const inFlight = getOn(agent, port, '/slow')
    await slowArrived
    const done = shutdown.shutdown('test')
    release()
    // Started before draining, answered after: the client is told not to reuse the connection.
    expect(await inFlight).toMatchObject({ status: 200, body: 'slow done', connection: 'close' })
    // Without that, close would wait for keepAliveTimeout (60 s).
    expect(await done).toEqual({ drained: true, abandoned: 0 })
    agent.destroy()
  })

  it('answers a request sent on an idle keep-alive connection while settling, and closes idle ones after', async () => {
    const { server, port } = await slowServer()
    server.keepAliveTimeout = 60_000
    const timing = controlledWait()
    const { shutdown } = setUp({ graceMs: 30_000, delayMs: 0, idleSettleMs: 1000, wait: timing.wait }, server)
    const reusing = new Agent({ keepAlive: true })
    const idling = new Agent({ keepAlive: true })
    expect(await getOn(reusing, port, '/fast')).toMatchObject({ status: 200, connection: 'keep-alive' })
    const { socket: idle } = await getOn(idling, port, '/fast')
    let idleClosed = false
    const idleClosing = new Promise<void>((resolve) =>
      idle.once('close', () => {
        idleClosed = true
        resolve()
      }),
    )

    let finished = false
    const done = shutdown.shutdown('test').then((outcome) => {
      finished = true
      return outcome
    })
    expect(timing.pending.map((wait) => wait.ms)).toEqual([1000])
    expect(await connectionError(port)).toBe('ECONNREFUSED')
    // The client picked its idle connection for the next request: answered, told to close.
    expect(await getOn(reusing, port, '/fast')).toMatchObject({
      status: 200,
      body: 'fast',
      connection: 'close',
      reused: true,
    })
    // The other idle connection is still open while settling, and holds the shutdown.
    expect(idleClosed).toBe(false)
    expect(finished).toBe(false)

    timing.pending[0]?.end()
    expect(await done).toEqual({ drained: true, abandoned: 0 })
    await idleClosing
    reusing.destroy()
    idling.destroy()
  })

  it('closes a connection whose answer was already under way after a settle of idleness, not its keep-alive timeout', async () => {
    const { server, port, release } = await slowServer()
    server.keepAliveTimeout = 60_000
    const timing = controlledWait()
    const { shutdown } = setUp({ graceMs: 5000, delayMs: 0, idleSettleMs: 20, wait: timing.wait }, server)
    const agent = new Agent({ keepAlive: true })
    // The head (keep-alive) went out before draining; the answer ends after the settle.
    const answer = new Promise<string | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/streaming', agent }, (res) => {
        resolve(res.headers.connection)
        res.resume()
      })
      req.on('error', reject)
      req.end()
    })
    expect(await answer).toBe('keep-alive')
    const done = shutdown.shutdown('test')
    timing.pending[0]?.end()
    // A round trip, so the settle's end has closed the idle connections before the answer ends.
    expect(await connectionError(port)).toBe('ECONNREFUSED')
    release()
    expect(await done).toEqual({ drained: true, abandoned: 0 })
    agent.destroy()
  })

  it('cuts what is still running when the grace period is over', async () => {
    const { server, port, slowArrived, release } = await slowServer()
    const { shutdown, logs } = setUp({ graceMs: 50, delayMs: 0 }, server)
    const inFlight = get(port, '/slow').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    )
    await slowArrived
    expect(await shutdown.shutdown('test')).toEqual({ drained: false, abandoned: 1 })
    expect(await inFlight).toBe('ECONNRESET')
    expect(logs.records.map((record) => record.msg)).toContain(
      'grace period over: closing connections with requests still in flight',
    )
    release()
  })

  it('keeps serving while unready during the readiness delay, then stops accepting', async () => {
    const { server, port } = await slowServer()
    const timing = controlledWait()
    const { shutdown, readiness } = setUp({ graceMs: 1000, delayMs: 5000, wait: timing.wait }, server)
    const done = shutdown.shutdown('test')
    expect(readiness.ready).toBe(false)
    expect(timing.pending.map((wait) => wait.ms)).toEqual([5000])
    expect(await get(port, '/fast')).toMatchObject({ status: 200, body: 'fast' })
    timing.pending[0]?.end()
    expect(await done).toEqual({ drained: true, abandoned: 0 })
    expect(await connectionError(port)).toBe('ECONNREFUSED')
  })

  it('skips an idle server straight to closed', async () => {
    const { server, port } = await slowServer()
    const { shutdown } = setUp({ graceMs: 30_000, delayMs: 0 }, server)
    expect(await shutdown.shutdown('test')).toEqual({ drained: true, abandoned: 0 })
    expect(await connectionError(port)).toBe('ECONNREFUSED')
  })
})

describe('exitOnSignals', () => {
  function fakeProcess() {
    const emitter = new EventEmitter()
    const exits: number[] = []
    return {
      target: {
        on: (event: string, listener: (signal: NodeJS.Signals) => void) => emitter.on(event, listener),
        exit: (code?: number) => {
          exits.push(code ?? 0)
        },
      } as unknown as Pick<NodeJS.Process, 'on' | 'exit'>,
      emit: (signal: NodeJS.Signals) => emitter.emit(signal, signal),
      exits,
    }
  }

  it('shuts down with the delay on SIGTERM and exits 0; a second signal exits 1 at once', async () => {
    const calls: [string, boolean | undefined][] = []
    let finish: () => void = () => undefined
    const shutdown = {
      shutdown: (reason: string, options?: { skipDelay?: boolean }) => {
        calls.push([reason, options?.skipDelay])
        return new Promise<ShutdownOutcome>((resolve) => {
          finish = () => resolve({ drained: true, abandoned: 0 })
        })
      },
    }
    const fake = fakeProcess()
    exitOnSignals(shutdown, createLogger({ level: 'silent' }), fake.target)
    fake.emit('SIGTERM')
    expect(calls).toEqual([['SIGTERM', false]])
    fake.emit('SIGINT')
    expect(fake.exits).toEqual([1])
    finish()
    await new Promise((resolve) => setImmediate(resolve))
    expect(fake.exits).toEqual([1, 0])
  })

  it('skips the readiness delay on SIGINT', () => {
    const calls: [string, boolean | undefined][] = []
    const fake = fakeProcess()
    exitOnSignals(
      {
        shutdown: (reason, options) => {
          calls.push([reason, options?.skipDelay])
          return new Promise(() => undefined)
        },
      },
      createLogger({ level: 'silent' }),
      fake.target,
    )
    fake.emit('SIGINT')
    expect(calls).toEqual([['SIGINT', true]])
  })
})

import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningFakeUpstream, startFakeUpstream } from './helpers/fake-upstream.js'
import { makeImage, makeRegion, uuid } from './helpers/fixtures.js'
import { TOKEN } from './helpers/harness.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HELD = uuid(1, '7')

let upstream: RunningFakeUpstream
let releaseHeld: () => void = () => undefined
const held = new Promise<void>((resolve) => {
  releaseHeld = resolve
})

beforeAll(async () => {
  upstream = await startFakeUpstream(
    { regions: [makeRegion(HELD, 'held')], images: { [HELD]: [makeImage({ name: 'still-here' })] } },
    {
      intercept: async (req) => {
        // The in-flight request's upstream call waits until the test lets it go.
        if (req.path.includes(HELD)) await held
        return false
      },
    },
  )
})

afterAll(async () => {
  releaseHeld()
  await upstream.close()
})

interface HttpAnswer {
  readonly status: number
  readonly body: string
}

/** One request on a fresh connection (no keep-alive pool hides a closed listener). */
function send(port: number, path: string, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      },
      (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Polls until `check` holds, at most `attempts` times: bounded, never a timing assertion. */
async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  attempts = 400,
): Promise<T> {
  let last: T | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    last = await probe()
    if (check(last)) return last
    await sleep(25)
  }
  throw new Error(`condition not reached; last value ${JSON.stringify(last)}`)
}

const readyz = (port: number) =>
  send(port, '/readyz').then(
    (answer) => String(answer.status),
    (error: NodeJS.ErrnoException) => error.code ?? 'error',
  )

describe('the gateway process on SIGTERM', () => {
  let child: ChildProcess | undefined

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  it('turns unready, stops accepting, finishes the in-flight request and exits 0', async () => {
    // `node --import tsx` runs src/main.ts in this one process; `npx tsx` would put npx and a
    // tsx wrapper in between, and npx does not pass SIGTERM on.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        REGION_API_URL: upstream.url,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_DELAY_MS: '1000',
        SHUTDOWN_GRACE_MS: '20000',
      },
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child?.once('exit', (code, signal) => resolve({ code, signal })),
    )
    const records = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)

    const listening = await eventually(
      async () => records().find((record) => String(record.msg).startsWith('gateway listening')),
      (record) => record !== undefined,
      600,
    )
    const port = listening?.port as number
    expect(await readyz(port)).toBe('200')

    let answered = false
    const inFlight = send(
      port,
      '/graphql',
      JSON.stringify({ query: `{ images(regionIds: ["${HELD}"]) { totalCount nodes { name } } }` }),
    ).then((answer) => {
      answered = true
      return answer
    })
    await eventually(
      async () => upstream.requests.filter((req) => req.path.includes(HELD)).length,
      (count) => count === 1,
    )

    child.kill('SIGTERM')
    // Unready first, while the listener still accepts (SHUTDOWN_DELAY_MS) ...
    expect(
      await eventually(
        () => readyz(port),
        (status) => status !== '200',
      ),
    ).toBe('503')
    // ... then the listener closes while the request is still in flight. A probe that connects
    // in the instant the listener closes is reset (queued by the kernel, never accepted by the
    // gateway) instead of refused: both mean "not accepting", and the next probe is refused.
    expect(
      await eventually(
        () => readyz(port),
        (status) => status !== '503' && status !== 'ECONNRESET',
      ),
    ).toBe('ECONNREFUSED')
    expect(answered).toBe(false)

    releaseHeld()
    const answer = await inFlight
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({
      data: { images: { totalCount: 1, nodes: [{ name: 'still-here' }] } },
    })
    expect(await exited).toEqual({ code: 0, signal: null })

    const messages = records().map((record) => record.msg)
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stopped']))
    expect(records().find((record) => record.msg === 'stopped')).toMatchObject({
      drained: true,
      abandoned: 0,
    })
    expect(`${stdout}${stderr}`).not.toContain(TOKEN)
  }, 60_000)
})

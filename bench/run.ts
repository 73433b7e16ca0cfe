/**
 * The benchmark harness (`npm run bench`): starts a fast fake Region Service and the built
 * gateway as separate processes on loopback, drives them with autocannon, and writes
 * bench/results/latest.{md,json}. Every scenario runs in the same invocation, so ratios hold
 * on a noisy machine. BENCH_QUICK=1 runs each step for a second (a smoke test of the harness,
 * not a measurement).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { request } from 'undici'
import { BENCH_ORGANIZATION, benchRegionId } from './data.js'
import { type HostileMixResult, hostileMix } from './hostile-mix.js'

const QUICK = process.env.BENCH_QUICK === '1'
const SECONDS = (full: number) => (QUICK ? 1 : full)
const OUT_DIR = new URL(process.env.BENCH_OUT ?? './results/', import.meta.url)
const ROOT = new URL('../', import.meta.url)
const TOKEN = 'Bearer bench-token'
let sequence = 0

const SINGLE = 1
const MANY = Array.from({ length: 20 }, (_, index) => 2 + index)
const SLOW = Array.from({ length: 20 }, (_, index) => 101 + index)
const LARGE = 200
/** Answers every call with different bytes: scenario 1 without any reuse of an earlier parse. */
const VARIED = 300
/** Answers that never end, for scenario 6. */
const ENDLESS = Array.from({ length: 20 }, (_, index) => 401 + index)

const IMAGE_FIELDS = `id imageId regionId name description tags { name value } createdAt createdBy modifiedAt modifiedBy
  architecture sizeGiB virtualization state ownerOrganizationId source
  os { kernel family distro variant codename version } softwareVersions { name version }
  gpu { vendor driver models }`

const QUERIES = {
  single: `query Single { region(id: "${benchRegionId(SINGLE)}") { images(first: 200) { nodes { ${IMAGE_FIELDS} } } } }`,
  /** The same upstream call as `single`, answered with one number: the hop without the payload. */
  count: `query Count { region(id: "${benchRegionId(SINGLE)}") { images { totalCount } } }`,
  varied: `query Varied { region(id: "${benchRegionId(VARIED)}") { images(first: 200) { nodes { ${IMAGE_FIELDS} } } } }`,
  many: `query Many { images(regionIds: ${JSON.stringify(MANY.map(benchRegionId))}, organizationIds: ["${BENCH_ORGANIZATION}"],
    status: [READY], filter: { architectures: [X86_64], maxSizeGiB: 50, gpu: { present: true } }, first: 50) {
      totalCount
      facets { distros { value count } gpuModels { value count } osVersions { group value count } softwareVersions { group value count } }
      nodes { id name regionId sizeGiB os { distro version } gpu { vendor models } }
  } }`,
  slow: `query Slow { images(regionIds: ${JSON.stringify(SLOW.map(benchRegionId))}, first: 10) { totalCount nodes { id name } } }`,
  large: `query Large { region(id: "${benchRegionId(LARGE)}") { images(status: [READY], filter: { architectures: [X86_64], maxSizeGiB: 50, nameContains: "ubuntu" }, first: 50) {
      totalCount facets { distros { value count } gpuModels { value count } osVersions { group value count } }
      nodes { id name sizeGiB os { distro version } gpu { vendor models } }
  } } }`,
}

interface Load {
  readonly requestsPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly requests: number
  /** Connection errors + timeouts (no answer within 10 s) + non-2xx answers. */
  readonly failures: number
  readonly timeouts: number
}

/** Every process the harness starts, stopped when it exits however it exits. */
const children: ChildProcess[] = []
function stopChildren(): void {
  for (const child of children) child.kill('SIGTERM')
}
process.on('exit', stopChildren)

function spawnChild(args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(process.execPath, args, options)
  children.push(child)
  return child
}

/** Rejects when `child` exits, so a process that dies while awaited fails the run instead of hanging it. */
async function exitOf(child: ChildProcess, what: string): Promise<never> {
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
  throw new Error(`${what} exited (${code ?? signal}) before it was ready`)
}

const portsHandedOut = new Set<number>()

/** A free loopback port, never one handed out before in this run. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    if (!portsHandedOut.has(port)) {
      portsHandedOut.add(port)
      return port
    }
  }
}

async function startUpstream(): Promise<{ child: ChildProcess; url: string }> {
  const specs = [
    { region: SINGLE, images: 200 },
    { region: VARIED, images: 200, varies: true },
    ...MANY.map((region) => ({ region, images: 200 })),
    // Small answers: this scenario measures waiting on 20 regions at once, not parsing.
    ...SLOW.map((region) => ({ region, images: 20, latencyMs: 100 })),
    // Rendered once: scenario 4 compares the gateway with fetch + JSON.parse of the same bytes.
    { region: LARGE, images: 10_000, prerendered: true },
    ...ENDLESS.map((region) => ({ region, images: 0, endless: true })),
  ]
  return startScript('./fake-upstream.ts', [JSON.stringify(specs)])
}

/** Runs a bench script as its own process; it prints its URL when it listens. */
async function startScript(script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnChild(['--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await Promise.race([
    once(child.stdout as NodeJS.ReadableStream, 'data'),
    exitOf(child, script),
  ])) as [Buffer]
  return { child, url: (JSON.parse(line.toString()) as { url: string }).url }
}

/**
 * The environment the container image runs the gateway with: the ENV instructions of the
 * Dockerfile's runtime stage (its last FROM), so the harness measures the gateway as deployed.
 */
function imageRuntimeEnv(): Record<string, string> {
  const lines = readFileSync(new URL('Dockerfile', ROOT), 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
  const stage = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')))
  const env: Record<string, string> = {}
  for (const line of stage.filter((each) => each.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const at = pair.indexOf('=')
      if (at <= 0) throw new Error(`cannot read the Dockerfile's "${line}"`)
      env[pair.slice(0, at)] = pair.slice(at + 1)
    }
  }
  if (env.NODE_ENV !== 'production')
    throw new Error("the Dockerfile's runtime stage does not set NODE_ENV=production")
  return env
}
const IMAGE_ENV = imageRuntimeEnv()

async function startGateway(
  upstreamUrl: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort()
  const child = spawnChild([new URL('./dist/main.js', ROOT).pathname], {
    env: {
      ...process.env,
      ...IMAGE_ENV,
      REGION_API_URL: upstreamUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 200; attempt++) {
    // A gateway that died (say, its port was taken meanwhile) must not pass on another's /healthz.
    if (child.exitCode !== null || child.signalCode !== null) break
    try {
      const response = await fetch(`${url}/healthz`)
      if (response.ok && child.exitCode === null) return { child, url }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('gateway did not start')
}

/**
 * Operations a gateway answered with errors, in part or whole, or refused, from its /metrics.
 * A region whose upstream call failed or timed out still gives a 200 with the others' images,
 * so the load generator alone would count such an answer as a success.
 */
async function degradedOperations(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  let count = 0
  for (const line of text.split('\n')) {
    const sample =
      /^gateway_graphql_operations_total\{[^}]*outcome="(?:partial|error|rejected)"[^}]*\} (\S+)$/.exec(line)
    if (sample) count += Number(sample[1])
  }
  return count
}

async function graphql(url: string, query: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: TOKEN },
    body: JSON.stringify({ query }),
  })
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] }
  if (body.errors) throw new Error(`benchmark query failed: ${JSON.stringify(body.errors).slice(0, 500)}`)
  return body.data ?? {}
}

async function load(options: {
  url: string
  connections: number
  seconds: number
  query?: string
}): Promise<Load> {
  const result = await autocannon({
    url: options.query ? `${options.url}/graphql` : options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.query ? 'POST' : 'GET',
    headers: { authorization: TOKEN, 'content-type': 'application/json' },
    ...(options.query ? { body: JSON.stringify({ query: options.query }) } : {}),
    // A distinct token per request: nothing is coalesced or cached between requests, so every
    // request costs its own upstream calls, as with many different users.
    requests: [
      {
        setupRequest: (request) => {
          sequence++
          return { ...request, headers: { ...request.headers, authorization: `${TOKEN}-${sequence}` } }
        },
      },
    ],
  })
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
    timeouts: result.timeouts,
  }
}

/** Warm up (JIT, caches, connections), then measure. */
async function measure(options: Parameters<typeof load>[0]): Promise<Load> {
  await load({ ...options, seconds: SECONDS(1) })
  return load(options)
}

/** A target of load: a GraphQL endpoint and a query, or a URL fetched with GET. */
type Target = { url: string; query?: string }

/** Scenario 1's rounds: how many, and how long each target runs per round at 10 and at 1 connection. */
const TURNS = { rounds: 3, tenSeconds: SECONDS(2.5), oneSeconds: SECONDS(1.1) }

/**
 * One timed operation: sends its request(s) and reads every answer whole, then returns how to
 * check them. The check runs after the clock stops, so checking costs the measure nothing.
 */
type Operation = () => Promise<() => boolean>

/** `target` once, with a distinct token (as in `load`); GraphQL answers must carry no errors. */
function operationOf(target: Target): Operation {
  const url = target.query ? `${target.url}/graphql` : target.url
  const body = target.query ? JSON.stringify({ query: target.query }) : undefined
  return async () => {
    const authorization = `${TOKEN}-${++sequence}`
    const response = await request(
      url,
      body
        ? { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body }
        : { headers: { authorization } },
    )
    const bytes = await response.body.arrayBuffer()
    return () => response.statusCode === 200 && (!body || answeredWithoutErrors(bytes))
  }
}

function answeredWithoutErrors(bytes: ArrayBuffer): boolean {
  const answer = JSON.parse(Buffer.from(bytes).toString()) as { errors?: unknown }
  return answer.errors === undefined
}

/**
 * Scenario 3's floor: the same calls the gateway makes for one operation, made here directly and
 * all at once (undici, each answer read and JSON.parsed), one caller's token on all of them.
 */
function fanOutDirect(upstreamUrl: string, regions: readonly number[]): Operation {
  return async () => {
    const authorization = `${TOKEN}-${++sequence}`
    const statuses = await Promise.all(
      regions.map(async (region) => {
        const response = await request(`${upstreamUrl}/api/v2/regions/${benchRegionId(region)}/images`, {
          headers: { authorization },
        })
        JSON.parse(await response.body.text())
        return response.statusCode
      }),
    )
    return () => statuses.every((status) => status === 200)
  }
}

/**
 * One operation at a time, for `seconds`: each one's time in ms, measured here with
 * sub-millisecond resolution (autocannon's histogram counts whole milliseconds, too coarse for
 * a 2 ms budget).
 */
async function oneAtATime(
  operation: Operation,
  seconds: number,
): Promise<{ timings: number[]; failures: number }> {
  const timings: number[] = []
  let failures = 0
  const until = performance.now() + seconds * 1000
  while (performance.now() < until) {
    const started = performance.now()
    try {
      const check = await operation()
      timings.push(performance.now() - started)
      if (!check()) failures++
    } catch {
      // No answer, or one that is not JSON: a failure, counted like a wrong status.
      failures++
    }
  }
  return { timings, failures }
}

/**
 * The order of round `pass`: each round starts one target later, and with more than two targets
 * every other round runs backwards, so no target always runs first or always follows the same
 * other one.
 */
function inRound(pass: number, targets: number): number[] {
  const order = Array.from({ length: targets }, (_, step) => (pass + step) % targets)
  return targets > 2 && pass % 2 === 1 ? order.reverse() : order
}

/**
 * Operations timed one at a time, in turns: each warmed up, then `rounds` rounds of `seconds`
 * each, so the drift of a noisy machine falls on all of them alike. Percentiles are exact, over
 * every operation timed.
 */
async function oneAtATimeInTurns(
  operations: readonly Operation[],
  rounds: number,
  seconds: number,
): Promise<Load[]> {
  for (const operation of operations) await oneAtATime(operation, SECONDS(0.5))
  const runs = operations.map(() => ({ timings: [] as number[], failures: 0 }))
  for (let pass = 0; pass < rounds; pass++) {
    for (const index of inRound(pass, operations.length)) {
      const { timings, failures } = await oneAtATime(operations[index] as Operation, seconds)
      const into = runs[index] as { timings: number[]; failures: number }
      into.timings.push(...timings)
      into.failures += failures
    }
  }
  return runs.map(({ timings, failures }) => {
    const sorted = timings.sort((a, b) => a - b)
    const at = (quantile: number) =>
      round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * quantile))] ?? 0, 2)
    return {
      requestsPerSecond: Math.round(timings.length / (rounds * seconds)),
      p50: at(0.5),
      p99: at(0.99),
      requests: timings.length,
      failures,
      timeouts: 0,
    }
  })
}

/**
 * Scenario 1: several targets measured in turn, round after round (10 connections, then one
 * request at a time), so the drift of a noisy machine from one minute to the next falls on
 * every target alike instead of on whichever ran last. Throughput is all requests over all
 * rounds; at 10 connections p50/p99 are the median of the rounds' values, at one connection the
 * exact percentiles of every request timed. Each target is warmed up first. `oneOnly` targets
 * (floors of the one-connection latency) are timed at one connection only.
 */
async function inTurns(
  targets: readonly Target[],
  oneOnly: readonly Target[],
): Promise<{ both: { ten: Load; one: Load }[]; oneOnly: Load[] }> {
  const { rounds, tenSeconds, oneSeconds } = TURNS
  for (const target of targets) await load({ ...target, connections: 10, seconds: SECONDS(1) })
  const tens: Load[][] = targets.map(() => [])
  for (let pass = 0; pass < rounds; pass++) {
    for (const index of inRound(pass, targets.length)) {
      tens[index]?.push(await load({ ...(targets[index] as Target), connections: 10, seconds: tenSeconds }))
    }
  }
  const ones = await oneAtATimeInTurns([...targets, ...oneOnly].map(operationOf), rounds, oneSeconds)
  const both = tens.map((runs, index) => {
    const requests = runs.reduce((sum, run) => sum + run.requests, 0)
    return {
      ten: {
        requestsPerSecond: Math.round(requests / (rounds * tenSeconds)),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
        requests,
        failures: runs.reduce((sum, run) => sum + run.failures, 0),
        timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
      },
      one: ones[index] as Load,
    }
  })
  return { both, oneOnly: ones.slice(targets.length) }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/**
 * Scenario 4's clock (bench/parse-floor.ts): a process that times, when asked, fetch +
 * JSON.parse of the large answer (the floor) or a gateway's operations, with one HTTP client.
 */
interface ParseFloor {
  time(runs: number): Promise<number[]>
  /** `runs` operations of `query` on the gateway at `url`, after 5 untimed ones. */
  timeGateway(url: string, query: string, runs: number): Promise<number[]>
  stop(): void
}

async function startParseFloor(upstreamUrl: string): Promise<ParseFloor> {
  const child = spawnChild(
    [
      '--import',
      'tsx',
      new URL('./parse-floor.ts', import.meta.url).pathname,
      `${upstreamUrl}/api/v2/regions/${benchRegionId(LARGE)}/images`,
      TOKEN,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()
  const nextLine = async (): Promise<string> => {
    const next = await Promise.race([lines.next(), exitOf(child, 'the scenario 4 floor')])
    if (next.done) throw new Error('the scenario 4 floor closed its output')
    return next.value
  }
  if ((await nextLine()) !== 'ready') throw new Error('the scenario 4 floor did not start')
  return {
    async time(runs) {
      child.stdin?.write(`${JSON.stringify({ floor: runs })}\n`)
      return JSON.parse(await nextLine()) as number[]
    },
    async timeGateway(url, query, runs) {
      child.stdin?.write(`${JSON.stringify({ graphql: url, query, runs })}\n`)
      return JSON.parse(await nextLine()) as number[]
    },
    stop() {
      child.stdin?.end()
    },
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round((kib / 1024) * 10) / 10
}

async function main(): Promise<void> {
  const upstream = await startUpstream()
  const [gateway, cached, parsing] = await Promise.all([
    startGateway(upstream.url),
    startGateway(upstream.url, { CACHE_TTL_MS: '60000' }),
    // Parses every answer: scenario 4's cost of parse, filter, sort and facets each time.
    startGateway(upstream.url, { UPSTREAM_ANSWER_MEMO_BYTES: '0' }),
  ])
  // Scenario 1's yardstick: the same answer from a hand-written handler without GraphQL.
  // Started once the gateways listen, so its own port cannot be one of theirs.
  const reference = await startScript('./reference-handler.ts', [upstream.url, benchRegionId(SINGLE)])
  try {
    // Answers are checked once before load, so the numbers are of correct responses.
    for (const query of [QUERIES.single, QUERIES.varied]) {
      const single = (await graphql(gateway.url, query)) as { region: { images: { nodes: unknown[] } } }
      if (single.region.images.nodes.length !== 200) throw new Error('scenario 1 did not return 200 images')
    }
    const byHand = JSON.stringify(await graphql(reference.url, QUERIES.single))
    if (byHand !== JSON.stringify(await graphql(gateway.url, QUERIES.single))) {
      throw new Error('the reference handler does not answer what the gateway answers')
    }
    const counted = (await graphql(gateway.url, QUERIES.count)) as {
      region: { images: { totalCount: number } }
    }
    if (counted.region.images.totalCount !== 200) throw new Error('scenario 1 did not count 200 images')
    const many = (await graphql(gateway.url, QUERIES.many)) as { images: { nodes: unknown[] } }
    if (many.images.nodes.length !== 50) throw new Error('scenario 2 did not return 50 images')

    const directUrl = `${upstream.url}/api/v2/regions/${benchRegionId(SINGLE)}/images`
    console.error('scenario 1: one region, 200 images, every field')
    type Both = { ten: Load; one: Load }
    const s1Turns = await inTurns(
      [
        { url: directUrl },
        { url: gateway.url, query: QUERIES.single },
        { url: gateway.url, query: QUERIES.varied },
        { url: reference.url, query: QUERIES.single },
      ],
      [
        { url: `${reference.url}/bytes` },
        { url: `${reference.url}/parse` },
        { url: gateway.url, query: QUERIES.count },
      ],
    )
    const [direct, reused, varied, handler] = s1Turns.both as [Both, Both, Both, Both]
    const [s1BytesProxyOne, s1ParseProxyOne, s1CountOne] = s1Turns.oneOnly as [Load, Load, Load]
    const { ten: s1Direct, one: s1DirectOne } = direct
    const { ten: s1Gateway, one: s1GatewayOne } = reused
    const { ten: s1Varied, one: s1VariedOne } = varied
    const { ten: s1Reference, one: s1ReferenceOne } = handler
    reference.child.kill('SIGTERM')

    console.error('scenario 2: 20 regions x 200 images, filtered to 50 with facets')
    const s2 = await measure({ url: gateway.url, query: QUERIES.many, connections: 10, seconds: SECONDS(5) })

    console.error('scenario 3: fan-out over 20 regions answering in 100 ms')
    // One operation at a time, in turns with its floor: the same 20 calls made directly.
    const [s3, s3Floor] = (await oneAtATimeInTurns(
      [operationOf({ url: gateway.url, query: QUERIES.slow }), fanOutDirect(upstream.url, SLOW)],
      3,
      SECONDS(2),
    )) as [Load, Load]
    const s3Busy = await measure({
      url: gateway.url,
      query: QUERIES.slow,
      connections: 10,
      seconds: SECONDS(4),
    })

    console.error('scenario 4: 10,000 images, filtered page of 50 with facets')
    const runs = QUICK ? 5 : 30
    // Every row of scenario 4 is timed by the floor's process, one operation at a time.
    const floor = await startParseFloor(upstream.url)
    const s4Gateway = median(await floor.timeGateway(gateway.url, QUERIES.large, runs))
    const s4Cached = median(await floor.timeGateway(cached.url, QUERIES.large, runs))
    // The gateway parsing every answer and its floor in turns (three rounds of a third of the
    // runs each), so the floor is measured in the same minute as what it is the floor of.
    const floorTimings: number[] = []
    const parsingTimings: number[] = []
    for (let pass = 0; pass < 3; pass++) {
      const share = Math.ceil(runs / 3)
      const measureFloor = async () => floorTimings.push(...(await floor.time(share)))
      const measureParsing = async () =>
        parsingTimings.push(...(await floor.timeGateway(parsing.url, QUERIES.large, share)))
      for (const index of inRound(pass, 2)) await (index === 0 ? measureFloor() : measureParsing())
    }
    floor.stop()
    const s4Floor = median(floorTimings)
    const s4Parsing = median(parsingTimings)

    console.error('scenario 5: memory over a 60 s run at 50 connections')
    // Scenario 5 measures its own load on a gateway started for it, so its numbers do not
    // depend on what the scenarios before it left behind; what they left behind (answers in the
    // memo, the 10,000-image one among them) is reported beside it.
    const rssAfterScenarios = rssMiB(gateway.child.pid as number)
    const degradedBeforeScenario5 = (
      await Promise.all([gateway, cached, parsing].map(({ url }) => degradedOperations(url)))
    ).reduce((sum, count) => sum + count, 0)
    for (const child of [cached.child, parsing.child]) child.kill('SIGTERM')
    const fresh = await startGateway(upstream.url)
    const samples: number[] = []
    const sampler = setInterval(() => samples.push(rssMiB(fresh.child.pid as number)), 1000)
    const s5 = await load({ url: fresh.url, query: QUERIES.many, connections: 50, seconds: SECONDS(60) })
    clearInterval(sampler)
    // Growth from the 10th to the 60th second, as medians of 10 s windows (5-15 s and the last
    // 10 s): single samples jump by 10+ MiB from one second to the next.
    const rssEarly = median(samples.length >= 14 ? samples.slice(4, 14) : samples)
    const rssLate = median(samples.slice(-10))
    const rssEnd = samples[samples.length - 1] ?? 0
    const degraded = degradedBeforeScenario5 + (await degradedOperations(fresh.url))
    fresh.child.kill('SIGTERM')

    console.error('scenario 6: a normal client beside attackers (the hostile mix)')
    // On a gateway of its own: the attackers' operations are meant to fail, and do not count
    // as degraded operations of the scenarios above.
    const target = await startGateway(upstream.url)
    const s6 = await hostileMix(
      { url: target.url, pid: target.child.pid as number },
      { normal: [SINGLE, ...MANY.slice(0, 3)], filtered: MANY.slice(3, 5), endless: ENDLESS },
      SECONDS(60),
    )

    const results = {
      machine: {
        cores: cpus().length,
        node: process.version,
        quick: QUICK,
        date: new Date().toISOString(),
        commit: measuredCommit(),
      },
      degradedOperations: degraded,
      scenario1: {
        direct: s1Direct,
        gateway: s1Gateway,
        throughputRatio: round(s1Gateway.requestsPerSecond / s1Direct.requestsPerSecond, 3),
        oneConnection: {
          direct: s1DirectOne,
          gateway: s1GatewayOne,
          addedP50Ms: round(s1GatewayOne.p50 - s1DirectOne.p50, 2),
          countOnly: s1CountOne,
          countOnlyAddedP50Ms: round(s1CountOne.p50 - s1DirectOne.p50, 2),
        },
        overheadPerRequestMs: round(
          1000 / s1Gateway.requestsPerSecond - 1000 / s1Direct.requestsPerSecond,
          3,
        ),
        reference: {
          handler: s1Reference,
          throughputRatio: round(s1Reference.requestsPerSecond / s1Direct.requestsPerSecond, 3),
          gatewayShare: round(s1Gateway.requestsPerSecond / s1Reference.requestsPerSecond, 3),
          oneConnection: s1ReferenceOne,
          addedP50Ms: round(s1ReferenceOne.p50 - s1DirectOne.p50, 2),
        },
        hopFloors: {
          bytesProxy: s1BytesProxyOne,
          bytesProxyAddedP50Ms: round(s1BytesProxyOne.p50 - s1DirectOne.p50, 2),
          parseProxy: s1ParseProxyOne,
          parseProxyAddedP50Ms: round(s1ParseProxyOne.p50 - s1DirectOne.p50, 2),
        },
        everyAnswerDifferent: {
          gateway: s1Varied,
          throughputRatio: round(s1Varied.requestsPerSecond / s1Direct.requestsPerSecond, 3),
          oneConnection: s1VariedOne,
          addedP50Ms: round(s1VariedOne.p50 - s1DirectOne.p50, 2),
        },
      },
      scenario2: s2,
      scenario3: { ...s3, limitMs: 100, floor: s3Floor, tenConnections: s3Busy },
      scenario4: {
        floorP50Ms: round(s4Floor, 1),
        gatewayP50Ms: round(s4Gateway, 1),
        ratioToFloor: round(s4Gateway / s4Floor, 2),
        cachedP50Ms: round(s4Cached, 1),
        parsingP50Ms: round(s4Parsing, 1),
        parsingRatioToFloor: round(s4Parsing / s4Floor, 2),
      },
      scenario5: {
        ...s5,
        rssAtEndMiB: rssEnd,
        rssMedian5To15sMiB: rssEarly,
        rssMedianLast10sMiB: rssLate,
        growthMiB: round(rssLate - rssEarly, 1),
        samples,
        rssOfGatewayAfterScenarios1to4MiB: rssAfterScenarios,
      },
      scenario6: s6,
    }
    mkdirSync(OUT_DIR, { recursive: true })
    // Each run keeps its date in its name; latest.* is the last run, for links and tools.
    const stamp = results.machine.date.slice(0, 16).replace(':', '')
    for (const name of [stamp, 'latest']) {
      writeFileSync(new URL(`${name}.json`, OUT_DIR), `${JSON.stringify(results, null, 2)}\n`)
      writeFileSync(new URL(`${name}.md`, OUT_DIR), markdown(results))
    }
    process.stdout.write(markdown(results))
    const failures = [
      s1Direct,
      s1Gateway,
      s1DirectOne,
      s1GatewayOne,
      s1Varied,
      s1VariedOne,
      s1Reference,
      s1ReferenceOne,
      s1BytesProxyOne,
      s1ParseProxyOne,
      s1CountOne,
      s2,
      s3,
      s3Floor,
      s3Busy,
      s5,
    ].reduce((sum, run) => sum + run.failures, 0)
    if (failures > 0) throw new Error(`${failures} requests failed during the benchmark`)
    if (degraded > 0) throw new Error(`${degraded} operations were answered with errors during the benchmark`)
    if (s6.normal.errors > 0)
      throw new Error(`the normal client saw ${s6.normal.errors} errors beside the attackers`)
  } finally {
    stopChildren()
  }
}

/** The commit measured, marked when the work tree differs from it. */
function measuredCommit(): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()
  try {
    return `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--', 'src']) ? ' (src changed)' : ''}`
  } catch {
    return 'unknown'
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

type Results = {
  machine: { cores: number; node: string; quick: boolean; date: string; commit: string }
  /** GraphQL operations the gateways answered with errors (in part or whole) or refused. */
  degradedOperations: number
  scenario1: {
    direct: Load
    gateway: Load
    throughputRatio: number
    oneConnection: {
      direct: Load
      gateway: Load
      addedP50Ms: number
      /** The gateway on the same upstream call, selecting only `totalCount`. */
      countOnly: Load
      countOnlyAddedP50Ms: number
    }
    overheadPerRequestMs: number
    reference: {
      handler: Load
      throughputRatio: number
      gatewayShare: number
      oneConnection: Load
      addedP50Ms: number
    }
    hopFloors: {
      bytesProxy: Load
      bytesProxyAddedP50Ms: number
      parseProxy: Load
      parseProxyAddedP50Ms: number
    }
    everyAnswerDifferent: { gateway: Load; throughputRatio: number; oneConnection: Load; addedP50Ms: number }
  }
  scenario2: Load
  scenario3: Load & { limitMs: number; floor: Load; tenConnections: Load }
  scenario4: {
    floorP50Ms: number
    gatewayP50Ms: number
    ratioToFloor: number
    cachedP50Ms: number
    parsingP50Ms: number
    parsingRatioToFloor: number
  }
  scenario5: Load & {
    rssMedian5To15sMiB: number
    rssMedianLast10sMiB: number
    rssAtEndMiB: number
    growthMiB: number
    rssOfGatewayAfterScenarios1to4MiB: number
  }
  scenario6: HostileMixResult
}

/** MiB, with MB (10^6 bytes) beside it: the targets are stated in MB. */
function mib(value: number): string {
  return `${value} MiB (${Math.round(value * 1.048576)} MB)`
}

/** The image's ENV as the results name it (PORT aside: the harness picks ports). */
function imageEnvText(): string {
  return Object.entries(IMAGE_ENV)
    .filter(([name]) => name !== 'PORT')
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')
}

function markdown(r: Results): string {
  const s1 = r.scenario1
  return `# Benchmark results

${r.machine.date}: ${r.machine.cores} cores, Node ${r.machine.node}, commit ${r.machine.commit}${r.machine.quick ? ' (QUICK smoke run: not a measurement)' : ''}.
Gateway: \`node dist/main.js\` with the container image's runtime environment (${imageEnvText()}, from the Dockerfile), LOG_LEVEL=info, its own process; fake upstream in another process; autocannon here. Scenario 1 measures its four targets in turn, ${TURNS.rounds} rounds of ${TURNS.tenSeconds} s at 10 connections (p50/p99: median of the rounds) and ${TURNS.rounds} rounds of ${TURNS.oneSeconds} s at 1 connection (one request at a time, each timed here to 0.01 ms; three more targets among them: two floors of the hop and the gateway answering one number), so drift of the machine falls on all of them alike. Requests timed one at a time fail on a GraphQL answer with errors as well as on a status other than 200.

| scenario | what | result | target |
| --- | --- | --- | --- |
| 1 | upstream direct, 10 connections | ${s1.direct.requestsPerSecond} req/s, p50 ${s1.direct.p50} ms, p99 ${s1.direct.p99} ms | |
| 1 | gateway, 200 images x every field, 10 connections | ${s1.gateway.requestsPerSecond} req/s, p50 ${s1.gateway.p50} ms, p99 ${s1.gateway.p99} ms | |
| 1 | throughput ratio gateway / direct | ${(s1.throughputRatio * 100).toFixed(1)}% | >= 30% |
| 1 | gateway overhead per request (1/rps difference) | ${s1.overheadPerRequestMs} ms | |
| 1 | added p50 at 1 connection (gateway p50 - direct p50) | ${s1.oneConnection.addedP50Ms} ms (direct ${s1.oneConnection.direct.p50} ms, gateway ${s1.oneConnection.gateway.p50} ms) | < 2 ms |
| 1 | added p50 at 1 connection, gateway making the same upstream call but answering one number (\`totalCount\`): the hop, yoga and the upstream client without the 200 images' payload | ${s1.oneConnection.countOnlyAddedP50Ms} ms (p50 ${s1.oneConnection.countOnly.p50} ms) | |
| 1 | the same with every answer different (no parse reused), 10 connections | ${s1.everyAnswerDifferent.gateway.requestsPerSecond} req/s (${(s1.everyAnswerDifferent.throughputRatio * 100).toFixed(1)}% of direct), p50 ${s1.everyAnswerDifferent.gateway.p50} ms, p99 ${s1.everyAnswerDifferent.gateway.p99} ms | |
| 1 | added p50 at 1 connection, every answer different | ${s1.everyAnswerDifferent.addedP50Ms} ms (gateway ${s1.everyAnswerDifferent.oneConnection.p50} ms) | |
| 1 | yardstick: hand-written handler without GraphQL (same answer, bench/reference-handler.ts), 10 connections | ${s1.reference.handler.requestsPerSecond} req/s (${(s1.reference.throughputRatio * 100).toFixed(1)}% of direct), p50 ${s1.reference.handler.p50} ms. The gateway does ${(s1.reference.gatewayShare * 100).toFixed(0)}% of its req/s where answers repeat (the memo skips the parse the handler always does), ${((s1.everyAnswerDifferent.gateway.requestsPerSecond / s1.reference.handler.requestsPerSecond) * 100).toFixed(0)}% where every answer is different | |
| 1 | added p50 at 1 connection, hand-written handler | ${s1.reference.addedP50Ms} ms (handler p50 ${s1.reference.oneConnection.p50} ms) | |
| 1 | floors of the added p50 at 1 connection (same process as the handler): a proxy passing the upstream's bytes through; one that JSON.parses and re-stringifies them, no mapping | ${s1.hopFloors.bytesProxyAddedP50Ms} ms (p50 ${s1.hopFloors.bytesProxy.p50} ms); ${s1.hopFloors.parseProxyAddedP50Ms} ms (p50 ${s1.hopFloors.parseProxy.p50} ms) | |
| 2 | 20 regions x 200 images -> 50 with facets, 10 connections | ${r.scenario2.requestsPerSecond} req/s, p50 ${r.scenario2.p50} ms, p99 ${r.scenario2.p99} ms | |
| 3 | 20 regions answering in 100 ms, one operation at a time (in turns with the floor below, each timed here to 0.01 ms) | p50 ${r.scenario3.p50} ms, p99 ${r.scenario3.p99} ms (of ${r.scenario3.requests} operations) | p50 <= 110 ms |
| 3 | floor: the same 20 calls made directly, all at once (undici, JSON.parse) | p50 ${r.scenario3.floor.p50} ms, p99 ${r.scenario3.floor.p99} ms (of ${r.scenario3.floor.requests}); the gateway adds ${round(r.scenario3.p50 - r.scenario3.floor.p50, 2)} ms at p50 | |
| 3 | the same, 10 connections (200 upstream calls in flight) | p50 ${r.scenario3.tenConnections.p50} ms, p99 ${r.scenario3.tenConnections.p99} ms, ${r.scenario3.tenConnections.requestsPerSecond} req/s | |
| 4 | floor: fetch + JSON.parse of 10,000 images (in a process of its own, which times every row of this scenario with the same HTTP client; in turns with the row two below) | p50 ${r.scenario4.floorP50Ms} ms | |
| 4 | gateway: filtered page of 50 with facets (identical answers: parse reused) | p50 ${r.scenario4.gatewayP50Ms} ms (${r.scenario4.ratioToFloor}x floor) | |
| 4 | gateway parsing every answer (UPSTREAM_ANSWER_MEMO_BYTES=0) | p50 ${r.scenario4.parsingP50Ms} ms (${r.scenario4.parsingRatioToFloor}x floor) | <= 1.5x floor |
| 4 | gateway with CACHE_TTL_MS, repeated query | p50 ${r.scenario4.cachedP50Ms} ms | < 10 ms |
| 5 | 60 s at 50 connections (scenario 2 query), on a gateway started for it | ${r.scenario5.requestsPerSecond} req/s; RSS at the end ${mib(r.scenario5.rssAtEndMiB)}; median ${mib(r.scenario5.rssMedian5To15sMiB)} over 5-15 s, ${mib(r.scenario5.rssMedianLast10sMiB)} over the last 10 s (growth ${r.scenario5.growthMiB} MiB) | < 200 MB, no steady growth |
| 5 | beside it: RSS of the gateway that ran scenarios 1-4 (idle; its memo holds the 10,000-image answer) | ${mib(r.scenario5.rssOfGatewayAfterScenarios1to4MiB)} | |
| 6 | hostile mix, ${r.scenario6.seconds} s on a gateway started for it: a normal client (2 loops over 4 regions, one of them the failing tenant's too) beside attackers sending distinct ~90 KB filters (${r.scenario6.attacks.filters}), distinct ~88 KB documents (${r.scenario6.attacks.documents}), queries over 20 endless answers (${r.scenario6.attacks.endless}) and calls of a tenant the upstream fails (${r.scenario6.attacks.failingTenant}) | normal client: ${r.scenario6.normal.requests} requests, ${r.scenario6.normal.errors} errors, p50 ${r.scenario6.normal.p50} ms, p99 ${r.scenario6.normal.p99} ms | no errors |
| 6 | the gateway's peak RSS over the hostile mix (VmHWM; highest sampled every 250 ms; at the end) | ${mib(r.scenario6.gatewayRss.peakMiB)}; ${mib(r.scenario6.gatewayRss.maxSampledMiB)}; ${mib(r.scenario6.gatewayRss.endMiB)} | < 300 MB |

Timeouts in scenario 5 (no answer within autocannon's 10 s): ${r.scenario5.timeouts}.
Failed requests in all load runs: ${[s1.direct, s1.gateway, s1.oneConnection.direct, s1.oneConnection.gateway, s1.everyAnswerDifferent.gateway, s1.everyAnswerDifferent.oneConnection, s1.reference.handler, s1.reference.oneConnection, s1.hopFloors.bytesProxy, s1.hopFloors.parseProxy, s1.oneConnection.countOnly, r.scenario2, r.scenario3, r.scenario3.floor, r.scenario3.tenConnections, r.scenario5].reduce((sum, run) => sum + run.failures, 0)}.
GraphQL operations the gateways answered with errors, in part or whole, or refused (from their /metrics; a region whose upstream call failed still gives a 200): ${r.degradedOperations}.
`
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { request } from 'undici'

/**
 * Scenario 4's clock, in a process of its own (as the gateway is), so neither the harness's
 * heap nor its load generator's garbage weighs on what it times. It times the floor (fetch an
 * upstream answer and JSON.parse it, nothing else) and the gateway's operations alike: one at a
 * time, with the same HTTP client, so the ratio of the two compares the gateway with the floor
 * and nothing else. (Timed from the harness with fetch, the same gateway took about 10 ms more.)
 *
 * argv: the upstream answer's URL, authorization. It warms the floor up with 5 runs, prints
 * "ready", then answers each JSON line on stdin with one JSON line of times in ms:
 * `{"floor": N}` times N floors; `{"graphql": URL, "query": Q, "runs": N}` times N operations
 * (5 more first, as warm-up) and fails on an answer with errors.
 */
const [url, authorization] = process.argv.slice(2) as [string, string]

async function fetchAndParse(): Promise<number> {
  const started = performance.now()
  const response = await request(url, { headers: { authorization } })
  JSON.parse(await response.body.text())
  return performance.now() - started
}

async function operation(endpoint: string, body: string): Promise<number> {
  const started = performance.now()
  const response = await request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  })
  const answer = JSON.parse(await response.body.text()) as { errors?: unknown }
  const elapsed = performance.now() - started
  if (response.statusCode !== 200 || answer.errors) {
    throw new Error(
      `scenario 4 operation failed (HTTP ${response.statusCode}): ${JSON.stringify(answer).slice(0, 300)}`,
    )
  }
  return elapsed
}

interface Command {
  readonly floor?: number
  readonly graphql?: string
  readonly query?: string
  readonly runs?: number
}

for (let run = 0; run < 5; run++) await fetchAndParse()
process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command
  const timings: number[] = []
  if (command.graphql !== undefined) {
    const endpoint = `${command.graphql}/graphql`
    const body = JSON.stringify({ query: command.query })
    for (let run = 0; run < 5; run++) await operation(endpoint, body)
    for (let run = 0; run < (command.runs ?? 0); run++) timings.push(await operation(endpoint, body))
  } else {
    for (let run = 0; run < (command.floor ?? 0); run++) timings.push(await fetchAndParse())
  }
  process.stdout.write(`${JSON.stringify(timings)}\n`)
}

import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { request } from 'undici'

/**
 * The floor of scenario 4, in a process of its own (as the gateway is), so neither the
 * harness's heap nor its load generator's garbage weighs on it: fetch an upstream answer and
 * JSON.parse it, nothing else, one at a time. It warms up with 5 runs, then, for each line
 * "N" read on stdin, times N runs and prints their times in ms as one JSON line, so the harness
 * can time it in turns with the gateway. argv: URL, authorization.
 */
const [url, authorization] = process.argv.slice(2) as [string, string]

async function fetchAndParse(): Promise<number> {
  const started = performance.now()
  const response = await request(url, { headers: { authorization } })
  JSON.parse(await response.body.text())
  return performance.now() - started
}

for (let run = 0; run < 5; run++) await fetchAndParse()
process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  const timings: number[] = []
  for (let run = 0; run < Number(line); run++) timings.push(await fetchAndParse())
  process.stdout.write(`${JSON.stringify(timings)}\n`)
}

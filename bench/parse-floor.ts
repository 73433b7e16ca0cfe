import { performance } from 'node:perf_hooks'
import { request } from 'undici'

/**
 * The floor of scenario 4, in a fresh process of its own (as the gateway is), so neither the
 * harness's heap nor its load generator's garbage weighs on it: fetch an upstream answer and
 * JSON.parse it, nothing else, `runs` times after 5 warm-ups, one at a time. Prints the p50 in
 * ms as JSON. argv: URL, runs, authorization.
 */
const [url, runs, authorization] = process.argv.slice(2) as [string, string, string]
const timings: number[] = []
for (let run = 0; run < Number(runs) + 5; run++) {
  const started = performance.now()
  const response = await request(url, { headers: { authorization } })
  JSON.parse(await response.body.text())
  if (run >= 5) timings.push(performance.now() - started)
}
timings.sort((a, b) => a - b)
process.stdout.write(`${JSON.stringify({ p50: timings[Math.floor(timings.length / 2)] })}\n`)

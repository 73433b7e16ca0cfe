/**
 * Run by test/upstream-timeout-gc.test.ts in a child process with --expose-gc: one upstream call
 * whose body trickles in (a byte every 100 ms for 3 s, so undici's own body timeout never fires)
 * with a client signal that never aborts, while the garbage collector runs every 20 ms. Prints
 * how the call ended and after how long, as JSON.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SILENT, testClient } from '../helpers/client.js'

const TIMEOUT_MS = 300
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('[')
  let sent = 0
  const trickle = setInterval(() => {
    sent++
    if (sent < 30) res.write(' ')
    else {
      clearInterval(trickle)
      res.end(']')
    }
  }, 100)
  res.on('close', () => clearInterval(trickle))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

// No retries; the operation's deadline (10 s by default) is far beyond the call's budget.
const client = testClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
  timeoutMs: TIMEOUT_MS,
  maxBodyBytes: 1024 * 1024,
})
const collecting = setInterval(gc, 20)
const started = performance.now()
const clientStaysConnected = new AbortController().signal
const ended = await client
  .forCaller({ authorization: 'Bearer t', callerKey: 't', requestId: 'gc-test', log: SILENT })
  .listImages({ regionId: '00000000-0000-4000-8000-000000000001', organizationIds: [] }, clientStaysConnected)
  .then(
    () => 'answered',
    (error: { kind?: string }) => error.kind ?? 'unknown error',
  )
clearInterval(collecting)
process.stdout.write(`${JSON.stringify({ ended, afterMs: Math.round(performance.now() - started) })}\n`)
await client.close()
server.closeAllConnections()
server.close()

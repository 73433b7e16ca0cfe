import { spawn, spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { freeLoopbackPort } from './harness.js'

/** Whether a redis-server can be started here (CI installs one: .ci/run). */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}

export interface RunningRedis {
  readonly url: string
  stop(): void
}

/** A throwaway redis-server on a free loopback port, without persistence; resolves once it answers. */
export async function startRedisServer(): Promise<RunningRedis> {
  const port = await freeLoopbackPort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 })
  client.on('error', () => {
    // Refused until redis-server listens; retried below.
  })
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await client.connect()
      break
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await client.quit()
  return { url, stop: () => server.kill() }
}

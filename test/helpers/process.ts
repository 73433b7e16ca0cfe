import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

export interface GatewayProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly lines: string[]
  exit(): Promise<number | null>
}

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname

/** Runs src/main.ts as `npm start` would (via tsx), on a free port, and waits until it listens. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let buffered = ''
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts.filter(Boolean))
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${lines.join('\n')}`)), 15_000)
    const poll = setInterval(() => {
      const listening = lines
        .map(parse)
        .find((record) => record?.msg?.toString().startsWith('gateway listening'))
      if (listening) {
        clearInterval(poll)
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${listening.port}`)
      }
    }, 25)
    exited.then(() => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`gateway exited early:\n${lines.join('\n')}`))
    })
  })
  return {
    child,
    url,
    lines,
    async exit() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** Runs src/main.ts to completion (for start-up failures) and returns its exit code and output. */
export async function runGatewayToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}

export function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}

// What the container image would run, without a Docker engine: production dependencies only
// (npm ci --omit=dev), dist/ plus exactly the files the Dockerfile's runtime stage copies, then
// `node dist/demo/main.js` as the upstream and `node dist/main.js` in front of it with tracing
// on. Fails when the image would miss a module or a file. Run after `npm run build`.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const app = mkdtempSync(join(tmpdir(), 'images-gateway-image-'))
const children = []

function runtimeCopies() {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
  const stage = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')))
  return stage
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .map((line) => line.trim().split(/\s+/).slice(1))
}

function start(name, script, env, ready) {
  const child = spawn(process.execPath, [script], {
    cwd: app,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const lines = []
  let buffered = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${lines.join('\n')}`)), 20_000)
    const collect = (chunk) => {
      buffered += chunk.toString('utf8')
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const line of parts.filter(Boolean)) {
        lines.push(line)
        let record
        try {
          record = JSON.parse(line)
        } catch {
          clearTimeout(timer)
          reject(new Error(`${name} wrote a line that is not JSON: ${line}`))
          return
        }
        const value = ready(record)
        if (value) {
          clearTimeout(timer)
          resolve({ value, lines })
        }
      }
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}):\n${lines.join('\n')}`)))
  })
}

async function main() {
  cpSync(join(root, 'package.json'), join(app, 'package.json'))
  cpSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'))
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    stdio: 'inherit',
  })
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true })
  for (const [source, target] of runtimeCopies()) {
    // COPY into a directory (trailing slash) keeps the source's name, as Docker does.
    const into = target.endsWith('/') ? join(target, basename(source)) : target
    cpSync(join(root, source), join(app, into), { recursive: true })
  }
  for (const devOnly of ['pino-pretty', 'typescript', 'vitest', '@stoplight/prism-cli']) {
    if (existsSync(join(app, 'node_modules', devOnly))) throw new Error(`${devOnly} came with --omit=dev`)
  }

  const demo = await start(
    'demo region service',
    'dist/demo/main.js',
    { DEMO_PORT: '0' },
    (record) => record.url,
  )
  const gateway = await start(
    'gateway',
    'dist/main.js',
    {
      PORT: '0',
      HOST: '127.0.0.1',
      REGION_API_URL: demo.value,
      // Tracing on, exporting nowhere: proves the OpenTelemetry SDK loads from production deps.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    },
    (record) => record.msg?.startsWith('gateway listening') && `http://127.0.0.1:${record.port}`,
  )
  const url = gateway.value
  const health = await fetch(`${url}/healthz`)
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`)
  const answer = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer smoke' },
    body: JSON.stringify({
      query:
        'query Smoke { regions(organizationId: "0b8e7c1a-5d2f-4c3e-9a1b-2c3d4e5f6a7b") { id images { totalCount } } }',
    }),
  })
  const body = await answer.json()
  if (body.errors || !(body.data?.regions?.length > 1))
    throw new Error(`unexpected answer: ${JSON.stringify(body)}`)
  const metrics = await (await fetch(`${url}/metrics`)).text()
  if (!metrics.includes('gateway_graphql_operations_total{operation_name="Smoke",outcome="success"} 1')) {
    throw new Error('the operation is missing from /metrics')
  }
  // The request's log line may still be in the pipe: give it a moment.
  for (let wait = 0; wait < 40 && !gateway.lines.some((line) => line.includes('"trace_id"')); wait++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (!gateway.lines.some((line) => line.includes('"trace_id"')))
    throw new Error('log lines carry no trace id')
  console.log(`production install serves ${body.data.regions.length} regions, /healthz and /metrics`)
}

try {
  await main()
} finally {
  for (const child of children) child.kill('SIGTERM')
  rmSync(app, { recursive: true, force: true })
}

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { ENVIRONMENT_VARIABLES, loadConfig } from '../src/config.js'
import { DEMO_ORGANIZATION_ID } from '../src/demo/fixtures.js'
import { HEALTH_ENDPOINT, METRICS_ENDPOINT } from '../src/server.js'

const ROOT = resolve(import.meta.dirname, '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
/** Readiness is served by the shutdown work (issue 3); the probes must point at this path. */
const READINESS_ENDPOINT = '/readyz'
/**
 * Settings the deployment files already carry for work not merged yet: allowed although
 * config.ts does not know them, and validated like every other setting once it does.
 */
const PENDING_VARIABLES = new Set(['SHUTDOWN_GRACE_MS'])

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked dynamically in these checks.
type Any = any

function known(name: string): boolean {
  return ENVIRONMENT_VARIABLES.includes(name) || PENDING_VARIABLES.has(name)
}

/** The settings config.ts knows validate (loadConfig throws with every problem otherwise). */
function expectValidSettings(env: Record<string, string>) {
  const knownNow = Object.fromEntries(
    Object.entries(env).filter(([name]) => ENVIRONMENT_VARIABLES.includes(name)),
  )
  expect(() => loadConfig(knownNow)).not.toThrow()
  return loadConfig(knownNow)
}

describe('docker-compose.yml', () => {
  const compose: Any = parse(read('docker-compose.yml'), { merge: true })
  const services: Record<string, Any> = compose.services
  const env = (name: string): Record<string, string> => services[name]?.environment ?? {}

  it('sets only variables the app reads, each with a valid value', () => {
    for (const name of ['gateway', 'region-service', 'gateway-contract']) {
      const settings = env(name)
      expect(
        Object.keys(settings).filter((key) => !known(key)),
        name,
      ).toEqual([])
      expectValidSettings(settings)
    }
  })

  it('publishes the gateway on its PORT and health-checks its liveness endpoint', () => {
    for (const name of ['gateway', 'gateway-contract']) {
      const config = expectValidSettings(env(name))
      const published = (services[name].ports as string[]).map((port) => port.split(':').at(-1))
      expect(published, name).toEqual([String(config.port)])
    }
    const config = loadConfig(env('gateway'))
    expect(services.gateway.healthcheck.test.join(' ')).toContain(`:${config.port}${HEALTH_ENDPOINT}'`)
  })

  it('points the gateway at the demo region service, which listens where it says', () => {
    const gateway = loadConfig(env('gateway'))
    const demo = loadConfig(env('region-service'))
    expect(gateway.regionApiUrl).toBe(`http://region-service:${demo.demoPort}`)
    expect(demo.demoHost).toBe('0.0.0.0')
    expect(services['region-service'].command).toEqual(['node', 'dist/demo/main.js'])
    expect(existsSync(join(ROOT, 'src/demo/main.ts'))).toBe(true)
    expect(services['region-service'].healthcheck.test.join(' ')).toContain(`127.0.0.1:${demo.demoPort}/api/`)
    expect(services.gateway.depends_on['region-service'].condition).toBe('service_healthy')
  })

  it('runs Prism (the dev dependency’s version) as a validating proxy in the contract profile', () => {
    const prism = services.prism
    const pkg = JSON.parse(read('package.json'))
    expect(prism.profiles).toEqual(['contract'])
    expect(services['gateway-contract'].profiles).toEqual(['contract'])
    expect(prism.image).toBe(`stoplight/prism:${pkg.devDependencies['@stoplight/prism-cli']}`)
    const [mode, ...args] = prism.command as string[]
    expect(mode).toBe('proxy')
    expect(args).toContain('--errors')
    const port = args[args.indexOf('--port') + 1]
    const [spec, upstream] = args.filter((arg) => !arg.startsWith('-') && arg !== port && arg !== '0.0.0.0')
    const [hostDir, containerDir] = (prism.volumes[0] as string).split(':')
    expect(spec).toBe(`${containerDir}/region-api.yaml`)
    expect(existsSync(join(ROOT, String(hostDir), 'region-api.yaml'))).toBe(true)
    expect(upstream).toBe(loadConfig(env('gateway')).regionApiUrl)
    expect(loadConfig(env('gateway-contract')).regionApiUrl).toBe(`http://prism:${port}`)
  })
})

describe('deploy/ (kustomize)', () => {
  const kustomization: Any = parse(read('deploy/kustomization.yaml'))
  const resources = (kustomization.resources as string[]).map((file) => parse(read(`deploy/${file}`)) as Any)
  const byKind = (kind: string): Any => resources.find((resource) => resource.kind === kind)
  const deployment = byKind('Deployment')
  const pod = deployment.spec.template
  const [container] = pod.spec.containers
  const configMap = Object.fromEntries(
    (kustomization.configMapGenerator[0].literals as string[]).map((literal) => {
      const at = literal.indexOf('=')
      return [literal.slice(0, at), literal.slice(at + 1)]
    }),
  ) as Record<string, string>

  it('lists every manifest in deploy/ and renders Deployment, Service, HPA and PDB', () => {
    const files = readdirSync(join(ROOT, 'deploy')).filter((file) => file.endsWith('.yaml'))
    expect([...kustomization.resources, 'kustomization.yaml'].sort()).toEqual(files.sort())
    expect(resources.map((resource) => resource.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ])
    expect(container.envFrom).toEqual([{ configMapRef: { name: kustomization.configMapGenerator[0].name } }])
  })

  it('configures only variables the app reads, each with a valid value', () => {
    expect(Object.keys(configMap).filter((name) => !known(name))).toEqual([])
    const config = expectValidSettings(configMap)
    expect(config.nodeEnv).toBe('production')
    expect(config.tracing).toBeUndefined()
  })

  it('probes liveness and readiness on the app’s paths and port', () => {
    const port = loadConfig(configMap).port
    expect(container.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }])
    expect(container.livenessProbe.httpGet).toEqual({ path: HEALTH_ENDPOINT, port: 'http' })
    expect(container.startupProbe.httpGet).toEqual({ path: HEALTH_ENDPOINT, port: 'http' })
    expect(container.readinessProbe.httpGet).toEqual({ path: READINESS_ENDPOINT, port: 'http' })
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
      'prometheus.io/path': METRICS_ENDPOINT,
    })
    const service = byKind('Service')
    expect(service.spec.ports[0].targetPort).toBe('http')
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels)
  })

  it('gives the pod longer to stop than the preStop pause plus the shutdown grace', () => {
    const graceMs = Number(configMap.SHUTDOWN_GRACE_MS)
    expect(graceMs).toBeGreaterThan(0)
    const [command, seconds] = container.lifecycle.preStop.exec.command
    expect(command).toBe('sleep')
    const budgetMs = pod.spec.terminationGracePeriodSeconds * 1000
    expect(budgetMs).toBeGreaterThanOrEqual(Number(seconds) * 1000 + graceMs + 5000)
  })

  it('sets resources, runs unprivileged as the image’s user, and scales within the disruption budget', () => {
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    })
    expect(container.resources.limits.memory).toEqual(expect.any(String))
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: dockerfileUid() })
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    })
    const hpa = byKind('HorizontalPodAutoscaler')
    const pdb = byKind('PodDisruptionBudget')
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    })
    expect(deployment.spec.replicas).toBeUndefined()
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.maxUnavailable)
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels)
    expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels)
  })
})

/** The runtime stage of the Dockerfile: from its last FROM to the end. */
function runtimeStage(): string[] {
  const lines = read('Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
  const lastFrom = lines.findLastIndex((line) => line.startsWith('FROM '))
  return lines.slice(lastFrom)
}

function dockerfileUid(): number {
  const user = runtimeStage().find((line) => line.startsWith('USER '))
  return Number(user?.split(/\s+/)[1]?.split(':')[0])
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile')
  const stage = runtimeStage()

  it('builds on Node 22 slim in stages and ships production dependencies only', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-[a-z]+-slim$/m)
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w[\w-]*$/gm)).toHaveLength(3)
    expect(dockerfile).toContain('npm ci --omit=dev')
    expect(stage.some((line) => /^COPY --from=prod-deps \/app\/node_modules /.test(line))).toBe(true)
    expect(stage.some((line) => line.includes('--from=build') && line.includes('/app/dist'))).toBe(true)
  })

  it('runs unprivileged, exposes PORT and health-checks the liveness endpoint', () => {
    expect(dockerfileUid()).toBeGreaterThan(0)
    const port = String(loadConfig({}).port)
    expect(stage).toContain(`EXPOSE ${port}`)
    expect(stage.join('\n')).toContain(`PORT=${port}`)
    const healthcheck = stage.find((line) => line.startsWith('HEALTHCHECK '))
    expect(healthcheck).toContain(`'${HEALTH_ENDPOINT}'`)
    expect(stage).toContain('CMD ["node", "dist/main.js"]')
  })

  it('runs with one malloc arena and a heap sized to the container, as the benchmark measures it', () => {
    const env = stage.find((line) => line.startsWith('ENV '))?.split(/\s+/)
    expect(env).toContain('MALLOC_ARENA_MAX=1')
    const heapMiB = Number(
      /^NODE_OPTIONS=--max-old-space-size=(\d+)$/.exec(
        env?.find((word) => word.startsWith('NODE_OPTIONS=')) ?? '',
      )?.[1],
    )
    // Room beside the heap for code, buffers and the upstream budget, within the pod's limit.
    const limit = /memory: (\d+)Mi\s*$/m.exec(
      readFileSync(new URL('../deploy/deployment.yaml', import.meta.url), 'utf8').split('limits:')[1] ?? '',
    )
    expect(heapMiB).toBeGreaterThan(0)
    expect(heapMiB).toBeLessThanOrEqual((Number(limit?.[1]) * 3) / 4)
  })

  it('copies every file the compiled code reads beside dist/', () => {
    const copied = stage
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .map((line) => line.split(/\s+/)[1] as string)
    const needed = runtimeFilesReadBySource()
    expect(needed.length).toBeGreaterThanOrEqual(4)
    for (const path of needed) {
      expect(
        copied.some((source) => path === source || path.startsWith(`${source}/`)),
        `${path} is read at run time but not copied into the image`,
      ).toBe(true)
    }
  })
})

/**
 * Files src/ reads through `new URL('<relative>', import.meta.url)`, as seen from the compiled
 * module in dist/ (same relative layout as src/), relative to the project root.
 */
function runtimeFilesReadBySource(): string[] {
  const found = new Set<string>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) {
        for (const match of read(path).matchAll(/new URL\('(\.\.?\/[^']+)', import\.meta\.url\)/g)) {
          const compiled = join('dist', relative('src', path))
          found.add(relative('.', join(dirname(compiled), match[1] as string)).replace(/\/$/, ''))
        }
      }
    }
  }
  walk('src')
  return [...found].sort()
}

describe('the standalone demo region service (compose’s upstream stand-in)', () => {
  it('serves the demo fixtures on DEMO_HOST:DEMO_PORT and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/demo/main.ts')], {
      env: { ...process.env, DEMO_HOST: '127.0.0.1', DEMO_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = once(child, 'exit')
    try {
      let output = ''
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8')
      })
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 15_000)
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8')
          const listening = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)
          if (listening) {
            clearTimeout(timer)
            resolve(listening[1] as string)
          }
        })
      })
      const regions = await fetch(`${url}/api/v1/organizations/${DEMO_ORGANIZATION_ID}/regions`, {
        headers: { authorization: 'Bearer any' },
      })
      expect(regions.status).toBe(200)
      expect(((await regions.json()) as unknown[]).length).toBeGreaterThan(1)
      const anonymous = await fetch(`${url}/api/v1/organizations/${DEMO_ORGANIZATION_ID}/regions`)
      expect(anonymous.status).toBe(401)
    } finally {
      child.kill('SIGTERM')
    }
    const [code] = await exited
    expect(code).toBe(0)
  })
})

// The checks above read the first document of each file; a second one would go unchecked.
it('holds one YAML document per deployment file', () => {
  for (const file of ['docker-compose.yml', ...readdirSync(join(ROOT, 'deploy')).map((f) => `deploy/${f}`)]) {
    expect(parseAllDocuments(read(file)), file).toHaveLength(1)
  }
})

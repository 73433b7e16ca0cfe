/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4): every line must be
 * a well-formed comment, HELP, TYPE or sample line; samples must belong to a family declared
 * before them; no series may repeat; histograms must have cumulative buckets ending in +Inf
 * that equal their _count. Anything else throws, so a malformed /metrics fails the test.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface MetricFamily {
  readonly name: string
  readonly type: MetricType
  help: string | undefined
  readonly samples: Sample[]
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`)
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)
const SAMPLE_START = new RegExp(`^(${NAME})`)
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  const seriesSeen = new Set<string>()
  const pendingHelp = new Map<string, string>()
  const lines = text.split('\n')
  if (lines.at(-1) !== '') throw new Error('exposition must end with a newline')
  lines.forEach((line, index) => {
    const where = `line ${index + 1} ("${line}")`
    if (line === '') return
    if (line.startsWith('#')) {
      const help = HELP_LINE.exec(line)
      const type = TYPE_LINE.exec(line)
      if (type) {
        const [, name, kind] = type as unknown as [string, string, MetricType]
        if (families.has(name)) throw new Error(`${where}: TYPE given twice or after samples`)
        families.set(name, { name, type: kind, help: pendingHelp.get(name), samples: [] })
      } else if (help) {
        const [, name, value] = help as unknown as [string, string, string]
        const family = families.get(name)
        if (family) {
          if (family.help !== undefined) throw new Error(`${where}: HELP given twice`)
          family.help = unescapeText(value, false)
        } else pendingHelp.set(name, unescapeText(value, false))
      } else if (line.startsWith('# HELP') || line.startsWith('# TYPE')) {
        throw new Error(`${where}: malformed HELP/TYPE line`)
      }
      return
    }
    const sample = parseSample(line, where)
    const family = familyOf(families, sample.name)
    if (!family) throw new Error(`${where}: sample of an undeclared metric family`)
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
    if (seriesSeen.has(key)) throw new Error(`${where}: series repeated`)
    seriesSeen.add(key)
    family.samples.push(sample)
  })
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family)
    if (family.type === 'counter') {
      for (const sample of family.samples) {
        if (!(sample.value >= 0)) throw new Error(`counter ${sample.name} is negative or NaN`)
      }
    }
  }
  return families
}

function familyOf(families: Map<string, MetricFamily>, sampleName: string): MetricFamily | undefined {
  for (const family of families.values()) {
    for (const suffix of SUFFIXES[family.type]) {
      if (sampleName === `${family.name}${suffix}`) return family
    }
  }
  return undefined
}

function parseSample(line: string, where: string): Sample {
  const name = SAMPLE_START.exec(line)?.[1]
  if (!name) throw new Error(`${where}: no metric name`)
  let at = name.length
  const labels: Record<string, string> = {}
  if (line[at] === '{') {
    at++
    while (line[at] !== '}') {
      const eq = line.indexOf('=', at)
      if (eq < 0) throw new Error(`${where}: label without value`)
      const labelName = line.slice(at, eq)
      if (!LABEL_NAME.test(labelName)) throw new Error(`${where}: bad label name "${labelName}"`)
      if (labelName in labels) throw new Error(`${where}: label "${labelName}" repeated`)
      if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`)
      let end = eq + 2
      let raw = ''
      while (line[end] !== '"') {
        if (end >= line.length) throw new Error(`${where}: unterminated label value`)
        if (line[end] === '\\') {
          raw += line.slice(end, end + 2)
          end += 2
        } else raw += line[end++]
      }
      labels[labelName] = unescapeText(raw, true)
      at = end + 1
      if (line[at] === ',') at++
      else if (line[at] !== '}') throw new Error(`${where}: expected , or } after a label`)
    }
    at++
  }
  const rest = line.slice(at)
  const parts = /^ (\S+)(?: (-?\d+))?$/.exec(rest)
  if (!parts) throw new Error(`${where}: expected " value [timestamp]"`)
  return { name, labels, value: parseValue(parts[1] as string, where) }
}

/** Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any letter case). */
function parseValue(text: string, where: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY
  if (/^nan$/i.test(text)) return Number.NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`)
  return Number(text)
}

function unescapeText(text: string, quoted: boolean): string {
  return text.replace(/\\(.)/g, (whole, char: string) => {
    if (char === 'n') return '\n'
    if (char === '\\') return '\\'
    if (char === '"' && quoted) return '"'
    throw new Error(`bad escape ${whole}`)
  })
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>()
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    const entry = series.get(key) ?? { buckets: [] }
    series.set(key, entry)
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${sample.name}: bucket without le`)
      entry.buckets.push([parseValue(le, sample.name), sample.value])
    } else if (sample.name.endsWith('_count')) entry.count = sample.value
    else entry.sum = sample.value
  }
  for (const [key, entry] of series) {
    const where = `${family.name}${key}`
    if (entry.count === undefined || entry.sum === undefined) throw new Error(`${where}: no _count or _sum`)
    const bounds = entry.buckets.map(([bound]) => bound)
    if (bounds.at(-1) !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`)
    for (let i = 1; i < entry.buckets.length; i++) {
      const [previousBound, previousCount] = entry.buckets[i - 1] as [number, number]
      const [bound, count] = entry.buckets[i] as [number, number]
      if (bound <= previousBound) throw new Error(`${where}: buckets not in increasing order`)
      if (count < previousCount) throw new Error(`${where}: buckets not cumulative`)
    }
    if (entry.buckets.at(-1)?.[1] !== entry.count)
      throw new Error(`${where}: +Inf bucket differs from _count`)
  }
}

/** The samples of `name` whose labels include every given label. */
export function samples(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  const family = familyOf(families, name)
  if (!family) throw new Error(`no metric family for ${name}`)
  return family.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  )
}

/** The value of exactly one series; throws when none or several match. */
export function value(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samples(families, name, labels)
  if (found.length !== 1) {
    throw new Error(`expected one series ${name}${JSON.stringify(labels)}, found ${found.length}`)
  }
  return (found[0] as Sample).value
}

/** Sum over every series of `name` whose labels include the given ones (0 when there is none). */
export function total(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples(families, name, labels).reduce((sum, sample) => sum + sample.value, 0)
}

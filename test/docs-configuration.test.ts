import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ENVIRONMENT_VARIABLES, loadConfig } from '../src/config.js'

/**
 * docs/configuration.md against src/environment.ts. Every markdown table there with a `Variable`
 * and a `Default` column is read: one variable per row, in backticks. A default that starts
 * with a value in backticks is checked by setting that value explicitly: the configuration
 * must come out exactly as with the variable unset. Any other default must start with
 * "unset", and is allowed only for variables the schema gives no default.
 */
const DOC = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8')
const SOURCE = readFileSync(new URL('../src/environment.ts', import.meta.url), 'utf8')

interface Row {
  readonly variable: string
  readonly defaultCell: string
  readonly line: number
}

function cellsOf(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim())
}

/** The rows of the variable tables, and what is wrong with rows that cannot be read. */
function documentedRows(markdown: string): { rows: Row[]; problems: string[] } {
  const lines = markdown.split('\n')
  const rows: Row[] = []
  const problems: string[] = []
  for (let index = 0; index + 1 < lines.length; index++) {
    const header = lines[index] as string
    if (!header.startsWith('|') || !/^\|[\s:|-]+\|$/.test((lines[index + 1] as string).trim())) continue
    const columns = cellsOf(header)
    const variableColumn = columns.indexOf('Variable')
    const defaultColumn = columns.indexOf('Default')
    if (variableColumn < 0 || defaultColumn < 0) continue
    for (index += 2; index < lines.length && (lines[index] as string).startsWith('|'); index++) {
      const cells = cellsOf(lines[index] as string)
      const line = index + 1
      const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[variableColumn] ?? '')?.[1]
      if (cells.length !== columns.length) problems.push(`line ${line}: not as many cells as the header`)
      else if (!name) problems.push(`line ${line}: the Variable cell is not one name in backticks`)
      else rows.push({ variable: name, defaultCell: cells[defaultColumn] as string, line })
    }
  }
  return { rows, problems }
}

/**
 * The variables declared in environment.ts's environmentSchema, and those among them whose zod
 * declaration has a `.default(...)`.
 */
function schemaDeclarations(): { declared: Set<string>; withDefault: Set<string> } {
  const start = SOURCE.indexOf('const environmentSchema = z.object({')
  const end = SOURCE.indexOf('\n})', start)
  const declared = new Set<string>()
  const withDefault = new Set<string>()
  if (start < 0) return { declared, withDefault }
  for (const declaration of SOURCE.slice(start, end).split(/\n(?= {2}[A-Z][A-Z0-9_]*: )/)) {
    const name = /^ {2}([A-Z][A-Z0-9_]*): /.exec(declaration)?.[1]
    if (!name) continue
    declared.add(name)
    if (declaration.includes('.default(')) withDefault.add(name)
  }
  return { declared, withDefault }
}

/** Tracing on, so the OTEL_* defaults show in the configuration. */
const BASE: Readonly<Record<string, string>> = { OTEL_TRACES_EXPORTER: 'console' }

function baseWithout(variable: string): Record<string, string> {
  const { [variable]: _left, ...rest } = BASE
  return rest
}

const { rows, problems } = documentedRows(DOC)
const byVariable = new Map(rows.map((row) => [row.variable, row]))
const schema = schemaDeclarations()

describe('docs/configuration.md', () => {
  it('has variable tables that can be read', () => {
    expect(problems).toEqual([])
  })

  it('documents every variable the gateway reads, once, and no other', () => {
    const names = rows.map((row) => row.variable)
    expect(
      names.filter((name, index) => names.indexOf(name) !== index),
      'listed twice',
    ).toEqual([])
    expect(
      ENVIRONMENT_VARIABLES.filter((name) => !byVariable.has(name)),
      'read by src/environment.ts but not documented',
    ).toEqual([])
    expect(
      names.filter((name) => !ENVIRONMENT_VARIABLES.includes(name)),
      'documented but not read by src/environment.ts',
    ).toEqual([])
  })

  it('checks the OTEL_* defaults with tracing on', () => {
    expect(loadConfig(BASE).tracing).toBeDefined()
  })

  it('reads which variables have a default from src/environment.ts', () => {
    // If the schema's layout changes so that this reading misses variables, this says so.
    expect([...schema.declared].sort()).toEqual([...ENVIRONMENT_VARIABLES].sort())
  })

  it.each(rows.map((row) => [row.variable, row] as const))('states the default of %s', (variable, row) => {
    const where = `docs/configuration.md:${row.line} (${variable})`
    const literal = /^`([^`]*)`/.exec(row.defaultCell)?.[1]
    if (literal === undefined) {
      expect(row.defaultCell, `${where}: a default without a value starts with "unset"`).toMatch(/^unset\b/)
      expect(schema.withDefault.has(variable), `${where}: the schema has a default; state its value`).toBe(
        false,
      )
      return
    }
    const base = baseWithout(variable)
    expect(
      loadConfig({ ...base, [variable]: literal }),
      `${where}: setting \`${literal}\` changes the configuration`,
    ).toEqual(loadConfig(base))
  })
})

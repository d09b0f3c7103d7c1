// Who a connection is once its `hello` token was accepted, and what it may do (PROTOCOL.md §7).
import { globToRegExp } from './glob.js'

export type Right = 'publish' | 'consume' | 'admin'
export const RIGHTS: readonly Right[] = ['publish', 'consume', 'admin']

export interface Grant {
  /** Names the token in log lines; never the token itself. */
  name: string
  /** Ops the token may use; undefined means every op. */
  ops?: readonly string[]
  allow: Partial<Record<Right, readonly string[]>>
  deny?: Partial<Record<Right, readonly string[]>>
}

/** Decisions remembered per right; a connection touches few names, so this rarely fills. */
const CACHE_LIMIT = 1024

export class Principal {
  readonly name: string
  private readonly ops: ReadonlySet<string> | undefined
  private readonly allow: Record<Right, RegExp[]>
  private readonly deny: Record<Right, RegExp[]>
  private readonly everything: Record<Right, boolean>
  private readonly cache: Record<Right, Map<string, boolean>>

  constructor(grant: Grant) {
    this.name = grant.name
    this.ops = grant.ops ? new Set(grant.ops) : undefined
    const compile = (list: readonly string[] | undefined): RegExp[] => (list ?? []).map(globToRegExp)
    this.allow = { publish: compile(grant.allow.publish), consume: compile(grant.allow.consume), admin: compile(grant.allow.admin) }
    this.deny = { publish: compile(grant.deny?.publish), consume: compile(grant.deny?.consume), admin: compile(grant.deny?.admin) }
    const all = (right: Right): boolean => (grant.allow[right] ?? []).includes('*') && (grant.deny?.[right] ?? []).length === 0
    this.everything = { publish: all('publish'), consume: all('consume'), admin: all('admin') }
    this.cache = { publish: new Map(), consume: new Map(), admin: new Map() }
  }

  allowsOp(op: string): boolean {
    return this.ops === undefined || this.ops.has(op)
  }

  /** The right on one queue or topic name; a deny pattern wins over any allow pattern. */
  can(right: Right, name: string): boolean {
    if (this.everything[right]) return true
    const cache = this.cache[right]
    let decision = cache.get(name)
    if (decision === undefined) {
      decision = !this.deny[right].some((re) => re.test(name)) && this.allow[right].some((re) => re.test(name))
      if (cache.size >= CACHE_LIMIT) cache.clear()
      cache.set(name, decision)
    }
    return decision
  }

  /** The right on at least one name (settling a receipt: PROTOCOL.md §7.3). */
  canAny(right: Right): boolean {
    return this.allow[right].length > 0
  }

  /** The right on every name: an allow pattern `*` and no deny pattern (stats of all queues, /metrics). */
  canAll(right: Right): boolean {
    return this.everything[right]
  }
}

/** The one principal of `--token T`: every op, every right on every name. */
export const ALL_POWERFUL: Grant = { name: 'token', allow: { publish: ['*'], consume: ['*'], admin: ['*'] } }

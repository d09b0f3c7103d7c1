// The authorization matrix, generated exhaustively: every op × allow pattern × deny pattern ×
// name, against the rules of PROTOCOL.md §7.3 restated here independently of the code.
import t from 'tap'
import { authorize, type ReceiptLookup } from '../../broker/auth/permissions.js'
import { routes } from '../../broker/handlers/index.js'
import { Principal, RIGHTS, type Right } from '../../broker/auth/principal.js'
import { KNOWN_OPS } from '../../broker/auth/file.js'

/** A reference glob matcher (no regular expressions): `*` any run, `?` one character. */
function globMatches(pattern: string, name: string): boolean {
  if (pattern === '') return name === ''
  const [head, rest] = [pattern[0], pattern.slice(1)]
  if (head === '*') {
    for (let i = 0; i <= name.length; i++) if (globMatches(rest, name.slice(i))) return true
    return false
  }
  return name !== '' && (head === '?' || head === name[0]) && globMatches(rest, name.slice(1))
}

const PATTERNS = ['*', 'jobs', 'jobs.*', 'j?bs*', '*.eu', 'other']
/** A stand-in store: receipt `r:NAME` was delivered from queue NAME; any other is unknown. */
const STORE: ReceiptLookup = { receiptQueue: (receipt) => (receipt.startsWith('r:') ? receipt.slice(2) : undefined) }
const check = (principal: Principal, op: string, request: Record<string, unknown>) => authorize(principal, op, routes[op]?.rule, request, STORE)
const NAMES = ['jobs', 'jobs.eu', 'jabs', 'other', 'x.eu', 'jobsXeu']

/** Which right an op needs and which fields name what it touches (PROTOCOL.md §7.3). */
const EXPECTED: Record<string, { right?: Right; fields?: string[]; receipt?: boolean; all?: boolean }> = {
  hello: {}, ping: {}, unsubscribe: {},
  publish: { right: 'publish', fields: ['queue', 'topic'] },
  receive: { right: 'consume', fields: ['queue'] },
  subscribe: { right: 'consume', fields: ['queue'] },
  ack: { right: 'consume', receipt: true }, nack: { right: 'consume', receipt: true }, touch: { right: 'consume', receipt: true },
  declare: { right: 'admin', fields: ['queue', 'deadLetter'] },
  purge: { right: 'admin', fields: ['queue'] }, drop: { right: 'admin', fields: ['queue'] },
  peek: { right: 'admin', fields: ['queue'] }, redrive: { right: 'admin', fields: ['queue'] },
  topic: { right: 'admin', fields: ['topic'] },
  bind: { right: 'admin', fields: ['topic', 'queue'] }, unbind: { right: 'admin', fields: ['topic', 'queue'] },
  stats: { right: 'admin', fields: ['queue'], all: true },
}

function expected(op: string, right: Right, allow: string, deny: string | undefined, request: Record<string, unknown>): boolean {
  const rule = EXPECTED[op]
  if (!rule) throw new Error(`no rule for ${op}`)
  if (!rule.right) return true
  if (rule.right !== right) return false
  const ok = (name: string): boolean => !(deny !== undefined && globMatches(deny, name)) && globMatches(allow, name)
  if (rule.receipt) {
    // consume on the queue of every receipt the store knows; unknown ones are the op's business.
    const named = [request.receipt, ...(Array.isArray(request.receipts) ? request.receipts : [])]
    return named.every((r) => typeof r !== 'string' || !r.startsWith('r:') || ok(r.slice(2)))
  }
  const named = (rule.fields ?? []).filter((f) => typeof request[f] === 'string')
  if (named.length === 0) return rule.all ? allow === '*' && deny === undefined : true
  return named.every((f) => ok(request[f] as string))
}

function requestFor(op: string, name: string): Record<string, unknown>[] {
  if (op === 'publish') return [{ op, queue: name, body: 1 }, { op, topic: name, body: 1 }]
  if (op === 'topic') return [{ op, topic: name }]
  if (op === 'bind' || op === 'unbind') return [{ op, topic: name, queue: name }, { op, topic: 'jobs', queue: name }]
  if (op === 'declare') return [{ op, queue: name }, { op, queue: 'jobs', deadLetter: name }]
  if (op === 'stats') return [{ op, queue: name }, { op }]
  if (op === 'ack') return [{ op, receipt: `r:${name}` }, { op, receipts: [`r:${name}`, 'r:jobs'] }, { op, receipts: ['unknown', `r:${name}`] }, { op, receipt: 'unknown' }]
  if (op === 'nack' || op === 'touch') return [{ op, receipt: `r:${name}` }, { op, receipt: 'unknown', queue: name }]
  return [{ op, queue: name, receipt: 'r' }]
}

t.test('every op × right × allow pattern × deny pattern × name decides as PROTOCOL.md §7.3 says', async (t) => {
  let cases = 0
  let mismatches = 0
  for (const right of RIGHTS) {
    for (const allow of PATTERNS) {
      for (const deny of [undefined, ...PATTERNS]) {
        const principal = new Principal({ name: 'p', allow: { [right]: [allow] }, ...(deny ? { deny: { [right]: [deny] } } : {}) })
        for (const op of KNOWN_OPS) {
          for (const name of NAMES) {
            for (const request of requestFor(op, name)) {
              cases++
              const error = check(principal, op, request)
              const want = expected(op, right, allow, deny, request)
              if ((error === undefined) !== want || (error && error.code !== 'forbidden')) {
                mismatches++
                if (mismatches < 10) t.fail(`${right} allow ${allow} deny ${deny} ${JSON.stringify(request)}: got ${error?.code ?? 'allowed'}`)
              }
            }
          }
        }
      }
    }
  }
  t.equal(mismatches, 0, `${cases} cases, no mismatch`)
  t.ok(cases > 10_000)
})

t.test('the ops list limits a token to those ops, whatever its patterns', async (t) => {
  const principal = new Principal({ name: 'p', ops: ['hello', 'ping', 'receive'], allow: { consume: ['*'], publish: ['*'] } })
  for (const op of KNOWN_OPS) {
    const error = check(principal, op, { queue: 'jobs', body: 1 })
    if (['hello', 'ping', 'receive'].includes(op)) t.equal(error, undefined, op)
    else t.equal(error?.code, 'forbidden', op)
  }
})

t.test('a denied name wins over an allow that names it exactly', async (t) => {
  const principal = new Principal({ name: 'p', allow: { publish: ['jobs', '*'] }, deny: { publish: ['jobs'] } })
  t.equal(check(principal, 'publish', { queue: 'jobs', body: 1 })?.code, 'forbidden')
  t.equal(check(principal, 'publish', { queue: 'jobs2', body: 1 }), undefined)
  t.match(check(principal, 'publish', { queue: 'jobs', body: 1 })?.message, /no publish right on queue jobs/)
})

t.test('names too long or not strings are left to the op (bad_request), not decided here', async (t) => {
  const principal = new Principal({ name: 'p', allow: { publish: ['jobs'] } })
  t.equal(check(principal, 'publish', { queue: 'x'.repeat(81), body: 1 }), undefined)
  t.equal(check(principal, 'publish', { queue: 5, body: 1 }), undefined)
})

t.test('an op that declares no rule is denied, even to a token with every right', async (t) => {
  const principal = new Principal({ name: 'p', allow: { publish: ['*'], consume: ['*'], admin: ['*'] } })
  t.equal(routes.frobnicate, undefined)
  t.match(authorize(principal, 'frobnicate', routes.frobnicate?.rule, { queue: 'jobs' }, STORE), { code: 'forbidden', message: /frobnicate declares no rule/ })
  // Every op of PROTOCOL.md §4 is routed with its handler and a rule of its own.
  t.same(Object.keys(routes).sort(), [...KNOWN_OPS].sort())
  for (const op of KNOWN_OPS) t.ok(routes[op]?.handler && routes[op]?.rule, `${op} has a handler and a rule`)
})

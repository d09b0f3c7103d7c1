// The authorization matrix, generated exhaustively: every op × allow pattern × deny pattern ×
// name, against the rules of PROTOCOL.md §7.3 restated here independently of the code.
import t from 'tap'
import { authorize } from '../../broker/auth/permissions.js'
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
  if (rule.receipt) return true
  const ok = (name: string): boolean => !(deny !== undefined && globMatches(deny, name)) && globMatches(allow, name)
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
              const error = authorize(principal, op, request)
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
    const error = authorize(principal, op, { queue: 'jobs', body: 1 })
    if (['hello', 'ping', 'receive'].includes(op)) t.equal(error, undefined, op)
    else t.equal(error?.code, 'forbidden', op)
  }
})

t.test('a denied name wins over an allow that names it exactly', async (t) => {
  const principal = new Principal({ name: 'p', allow: { publish: ['jobs', '*'] }, deny: { publish: ['jobs'] } })
  t.equal(authorize(principal, 'publish', { queue: 'jobs', body: 1 })?.code, 'forbidden')
  t.equal(authorize(principal, 'publish', { queue: 'jobs2', body: 1 }), undefined)
  t.match(authorize(principal, 'publish', { queue: 'jobs', body: 1 })?.message, /no publish right on queue jobs/)
})

t.test('names too long or not strings are left to the op (bad_request), not decided here', async (t) => {
  const principal = new Principal({ name: 'p', allow: { publish: ['jobs'] } })
  t.equal(authorize(principal, 'publish', { queue: 'x'.repeat(81), body: 1 }), undefined)
  t.equal(authorize(principal, 'publish', { queue: 5, body: 1 }), undefined)
})

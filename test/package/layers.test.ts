// Imports point down only (STYLE.md): `shared/` never imports `broker/`, `producer/` or
// `consumer/`; the libraries never pull in the broker; the store never imports the broker's
// config, session, handlers or anything that faces the network; the queue engine (broker/queues/)
// imports neither the store, the session, the handlers nor the config, nor the file system or
// sockets. `npm run lint` enforces it: here
// ESLint's own API lints small snippets placed at a path in each zone, with every import form a
// module can take (static, type-only, re-export, dynamic `import()`, an `import()` type). The same
// lint holds a source file to 400 lines.
import t from 'tap'
import { ESLint } from 'eslint'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const eslint = new ESLint({ cwd: ROOT })

/** The ways a module can reach another; `spec` is the import specifier as written. */
const FORMS: Record<string, (spec: string) => string> = {
  'static import': (spec) => `import { x } from '${spec}'\nexport const y = x\n`,
  'type-only import': (spec) => `import type { X } from '${spec}'\nexport type Y = X\n`,
  're-export': (spec) => `export { x } from '${spec}'\n`,
  'dynamic import()': (spec) => `export async function load(): Promise<unknown> {\n  return import('${spec}')\n}\n`,
  'dynamic import() of a template': (spec) => `export const loading = import(\`${spec}\`)\n`,
  'import() type': (spec) => `export type Y = import('${spec}').X\n`,
}

/** The layer messages of linting `code` as if it were the file at `filePath` (relative to the root). */
async function layerMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'hubq/layers').map((m) => m.message)
}

/** [file in a zone, import specifier from it, the module it resolves to] */
const FORBIDDEN: [string, string, string][] = [
  ['shared/client/probe.ts', '../../broker/store/sqs/store.js', 'broker/store/sqs/store'],
  ['shared/probe.ts', '../broker/config.js', 'broker/config'],
  ['shared/protocol/probe.ts', '../../producer/index.js', 'producer/index'],
  ['shared/sqs/probe.ts', '../../consumer/consumer.js', 'consumer/consumer'],
  ['producer/probe.ts', '../broker/store/types.js', 'broker/store/types'],
  ['consumer/probe.ts', '../broker/session.js', 'broker/session'],
  ['broker/store/probe.ts', '../config.js', 'broker/config'],
  ['broker/store/log/probe.ts', '../../config.js', 'broker/config'],
  ['broker/store/sqs/probe.ts', '../../session.js', 'broker/session'],
  ['broker/store/local/probe.ts', '../../handlers/types.js', 'broker/handlers/types'],
  ['broker/store/probe.ts', '../server.js', 'broker/server'],
  ['broker/store/probe.ts', '../cli.js', 'broker/cli'],
  ['broker/store/probe.ts', '../net/tls.js', 'broker/net/tls'],
  ['broker/store/probe.ts', '../http/metrics.js', 'broker/http/metrics'],
  ['broker/store/probe.ts', '../face/server.js', 'broker/face/server'],
  ['broker/store/probe.ts', '../auth/permissions.js', 'broker/auth/permissions'],
  ['broker/store/probe.ts', '../bin.js', 'broker/bin'],
  ['broker/queues/probe.ts', '../store/journal.js', 'broker/store/journal'],
  ['broker/queues/probe.ts', '../store/local/store.js', 'broker/store/local/store'],
  ['broker/queues/probe.ts', '../session.js', 'broker/session'],
  ['broker/queues/probe.ts', '../handlers/types.js', 'broker/handlers/types'],
  ['broker/queues/probe.ts', '../config.js', 'broker/config'],
  ['broker/queues/probe.ts', 'node:fs', 'node:fs'],
  ['broker/queues/probe.ts', 'node:fs/promises', 'node:fs/promises'],
  ['broker/queues/probe.ts', 'node:net', 'node:net'],
]

const ALLOWED: [string, string][] = [
  ['shared/client/probe.ts', '../sqs/url.js'],
  ['shared/client/probe.ts', '../protocol/types.js'],
  ['producer/probe.ts', '../shared/client/backend.js'],
  ['consumer/probe.ts', '../shared/client/backend.js'],
  ['broker/store/probe.ts', '../../shared/sqs/url.js'],
  ['broker/store/log/probe.ts', './policy.js'],
  ['broker/store/sqs/probe.ts', '../types.js'],
  ['broker/session.ts', './store/types.js'],
  ['broker/handlers/probe.ts', '../config.js'],
  ['broker/probe.ts', '../shared/client/command.js'],
  // A name that only looks like a forbidden folder is not one.
  ['broker/store/probe.ts', './config-free.js'],
  ['broker/queues/probe.ts', '../../shared/clock.js'],
  ['broker/queues/probe.ts', 'node:crypto'],
  ['broker/store/local/probe.ts', '../../queues/queue.js'],
]

t.test('an import across a layer boundary is reported, in every form', async (t) => {
  for (const [file, spec, target] of FORBIDDEN) {
    for (const [form, write] of Object.entries(FORMS)) {
      const messages = await layerMessages(file, write(spec))
      t.equal(messages.length, 1, `${form} of ${spec} from ${file} is reported`)
      t.match(messages[0] ?? '', target, `the report names ${target}`)
    }
  }
})

t.test('an import within the layers is not reported', async (t) => {
  for (const [file, spec] of ALLOWED) {
    for (const [form, write] of Object.entries(FORMS)) {
      t.same(await layerMessages(file, write(spec)), [], `${form} of ${spec} from ${file} passes`)
    }
  }
})

t.test('the tree as it stands breaks no layer', async (t) => {
  const results = await eslint.lintFiles(['shared', 'producer', 'consumer', 'broker'])
  const broken = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'hubq/layers').map((m) => `${r.filePath.slice(ROOT.length)}:${m.line}: ${m.message}`))
  t.same(broken, [])
})

t.test('a source file over 400 lines is reported', async (t) => {
  const lines = (n: number): string => 'export const a = 1\n'.repeat(n - 1) + 'export const b = 2'
  const maxLines = async (filePath: string, code: string): Promise<number> => {
    const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` })
    return (result?.messages ?? []).filter((m) => m.ruleId === 'max-lines').length
  }
  for (const file of ['shared/sqs/probe.ts', 'broker/store/sqs/probe.ts', 'producer/probe.ts', 'consumer/probe.ts', 'broker/probe.ts']) {
    t.equal(await maxLines(file, lines(401)), 1, `401 lines in ${file}`)
    t.equal(await maxLines(file, lines(400)), 0, `400 lines in ${file}`)
  }
})

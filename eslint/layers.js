// `hubq/layers`: imports point down only (STYLE.md). Each specifier is resolved against the file
// that holds it, so one table covers every depth and every form a module can reach another by:
// `import`, `import type`, `export … from` and `import()`. (`no-restricted-imports` matches the
// specifier as written, needs a pattern per folder depth, and does not see `import()` at all.)
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, whatever folder ESLint runs from. */
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** [the files a zone holds, what they must not import, why] — paths from the repository root. */
export const LAYERS = [
  ['shared/', ['broker/', 'producer/', 'consumer/'], 'shared/ sits under the broker and both libraries'],
  ['producer/', ['broker/'], 'the libraries must not pull in the broker'],
  ['consumer/', ['broker/'], 'the libraries must not pull in the broker'],
  ['broker/store/', [
    'broker/config', 'broker/session', 'broker/handlers/', 'broker/server', 'broker/cli', 'broker/bin',
    'broker/net/', 'broker/http/', 'broker/face/', 'broker/auth/',
  ], 'the store knows nothing of the broker\'s config, connections, handlers or network faces'],
  ['broker/queues/', [
    'broker/store/', 'broker/session', 'broker/handlers/', 'broker/config', 'broker/server', 'broker/net/', 'broker/http/', 'broker/face/',
    'node:fs', 'node:fs/', 'fs', 'fs/', 'node:net', 'net',
  ], 'the queue engine is synchronous and does no I/O: no log, no connection, no file, no socket'],
]

/** True when `target` (root-relative, `/`-separated) is `entry`: a folder (`x/`) or a module with any extension. */
function within(target, entry) {
  if (entry.endsWith('/')) return target.startsWith(entry)
  return target === entry || target.startsWith(`${entry}.`)
}

/** The text of a specifier written as a string or a template without substitutions. */
function specifier(source) {
  if (source?.type === 'Literal' && typeof source.value === 'string') return source.value
  if (source?.type === 'TemplateLiteral' && source.expressions.length === 0) return source.quasis[0]?.value.cooked ?? undefined
  return undefined
}

export const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down only: shared/ <- libraries and broker; the store under the broker' },
    schema: [],
    messages: { across: '{{from}} must not import {{target}}: {{why}} (STYLE.md).' },
  },
  create(context) {
    const root = ROOT
    const file = path.relative(root, context.filename).split(path.sep).join('/')
    const rules = LAYERS.filter(([zone]) => file.startsWith(zone))
    if (rules.length === 0) return {}
    const check = (source) => {
      const spec = specifier(source)
      if (spec === undefined) return
      // A package or a Node built-in is named as written (`node:fs`); a relative path is resolved.
      const target = spec.startsWith('.')
        ? path.relative(root, path.resolve(path.dirname(context.filename), spec)).split(path.sep).join('/')
        : spec
      for (const [zone, forbidden, why] of rules) {
        if (forbidden.some((entry) => within(target, entry))) {
          context.report({ node: source, messageId: 'across', data: { from: zone, target, why } })
          return
        }
      }
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // `type T = import('../x.js').T`
      TSImportType: (node) => check(node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
    }
  },
}

export default { rules: { layers } }

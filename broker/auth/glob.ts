// Queue and topic name patterns of the auth file (PROTOCOL.md §7.2): `*` matches any run of
// characters (dots included), `?` exactly one; every other character matches itself.

/** Characters a pattern may hold: the name characters (PROTOCOL.md §3) plus `*` and `?`. */
export const PATTERN_CHARS = /^[A-Za-z0-9_.*?-]{1,80}$/

export function globToRegExp(pattern: string): RegExp {
  let source = '^'
  for (const c of pattern) {
    if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else source += c === '.' || c === '-' ? '\\' + c : c
  }
  return new RegExp(source + '$')
}

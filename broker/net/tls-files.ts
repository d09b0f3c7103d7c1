// Reads `--tls-cert` and `--tls-key` once at start; a missing or bad file is a start error.
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import type { TlsFiles } from './listener.js'

export function readTlsFiles(paths: { cert: string; key: string } | undefined): TlsFiles | undefined {
  if (!paths) return undefined
  const read = (path: string, flag: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new Error(`${flag}: cannot read ${path}: ${(err as Error).message}`)
    }
  }
  const files = { cert: read(paths.cert, '--tls-cert'), key: read(paths.key, '--tls-key') }
  try {
    // Fails now on a key that does not match its certificate, not at the first handshake.
    createSecureContext(files)
  } catch (err) {
    throw new Error(`--tls-cert/--tls-key: ${(err as Error).message}`)
  }
  return files
}

// The npm client a peer's adapter needs (amqplib, nats), or undefined when it is not installed.
// Looked up from this checkout first, then in PEER_CLIENTS (a node_modules folder elsewhere, for
// trying a client without adding it to the project).
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export async function clientModule(name) {
  try {
    return await import(name)
  } catch (err) {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err
  }
  const elsewhere = process.env.PEER_CLIENTS
  if (!elsewhere) return undefined
  try {
    const entry = createRequire(join(elsewhere, 'package.json')).resolve(name)
    return await import(pathToFileURL(entry).href)
  } catch {
    return undefined
  }
}

// The broker's listening socket: plain TCP, or TLS on the same protocol (PROTOCOL.md §8).
import net from 'node:net'
import tls from 'node:tls'
import type { Logger } from '../../shared/logger.js'
import type { Clock } from '../../shared/clock.js'

export interface TlsFiles {
  /** PEM certificate chain. */
  cert: string | Buffer
  /** PEM private key. */
  key: string | Buffer
}

/** A TLS handshake not done by then is dropped (Node's default of 120 s is generous to a stalled peer). */
const HANDSHAKE_TIMEOUT_MS = 10_000

export function createListener(
  onConnection: (socket: net.Socket) => void, tlsFiles: TlsFiles | undefined, log: Logger, clock: Clock,
): net.Server {
  // allowHalfOpen: a client's end (FIN) closes only its side; the session answers every request
  // read before it, then ends the connection itself (PROTOCOL.md §2 "Closing").
  if (!tlsFiles) return net.createServer({ noDelay: true, allowHalfOpen: true }, onConnection)
  // Node's handshakeTimeout starts only once a ClientHello is being read: a peer that sends a
  // partial record header and stops would hold its socket for ever. Every raw connection gets
  // its own deadline, cleared when the handshake completes (matched by the peer's address).
  const handshaking = new Map<string, unknown>()
  const server = tls.createServer({
    cert: tlsFiles.cert,
    key: tlsFiles.key,
    minVersion: 'TLSv1.2',
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    noDelay: true,
  }, (socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`
    clock.clearTimeout(handshaking.get(key))
    handshaking.delete(key)
    // Half-open only once the handshake is done: a peer that ends its side during the handshake
    // (a client refusing the certificate) is closed at once, as before, not left to the deadline.
    socket.allowHalfOpen = true
    onConnection(socket)
  })
  server.on('connection', (raw: net.Socket) => {
    const key = `${raw.remoteAddress}:${raw.remotePort}`
    const timer = clock.setTimeout(() => raw.destroy(), HANDSHAKE_TIMEOUT_MS)
    handshaking.set(key, timer)
    raw.once('close', () => {
      clock.clearTimeout(timer)
      if (handshaking.get(key) === timer) handshaking.delete(key)
    })
  })
  // A plaintext client (or a port scanner) fails the handshake at its first bytes; Node then
  // destroys the socket. One debug line, no stack: it is the peer's mistake, not ours.
  server.on('tlsClientError', (err, socket) => {
    log.debug({ peer: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed')
  })
  return server
}

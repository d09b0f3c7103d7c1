// What the adapters share: a TCP socket to the server once it is connected, and the connections
// an adapter opens (one per producer or consumer), closed together at the end of a run.
import { connect as tcp } from 'node:net'

/** A socket to 127.0.0.1:`port` (Nagle off), resolved once connected. */
export async function dial(port) {
  const socket = tcp({ port, host: '127.0.0.1', noDelay: true })
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socket
}

/** `open` makes a connection with `connect` and keeps it; `close` closes every one kept. */
export function connections(connect) {
  const opened = []
  return {
    async open() {
      const c = await connect()
      opened.push(c)
      return c
    },
    close: () => Promise.all(opened.map((c) => Promise.resolve(c.close()).catch(() => {}))),
  }
}

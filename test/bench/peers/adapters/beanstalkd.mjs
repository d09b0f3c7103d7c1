// beanstalkd over its text protocol on node:net: `put 1024 0 600 <bytes>` per message (INSERTED
// is the confirm), a window of pipelined `reserve`s, and `delete` of each job as its ack. The
// commands of one event-loop turn go out in one write.
import { connections, dial } from './connections.mjs'

async function connect(port) {
  const socket = await dial(port)
  const waiting = []
  let buf = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    let offset = 0
    for (;;) {
      const eol = buf.indexOf('\r\n', offset)
      if (eol < 0) break
      const words = buf.toString('latin1', offset, eol).split(' ')
      let next = eol + 2
      let body
      if (words[0] === 'RESERVED') { // RESERVED <id> <bytes>\r\n<data>\r\n
        const bytes = Number(words[2])
        if (buf.length < next + bytes + 2) break
        body = buf.subarray(next, next + bytes)
        next += bytes + 2
      }
      offset = next
      waiting.shift()({ words, body })
    }
    buf = offset === buf.length ? Buffer.alloc(0) : buf.subarray(offset)
  })
  let queued = []
  const flush = () => {
    socket.write(Buffer.concat(queued))
    queued = []
  }
  const call = (line, data, expect) => new Promise((resolve, reject) => {
    waiting.push(({ words, body }) => (words[0] === expect ? resolve({ words, body }) : reject(new Error(`${line}: ${words.join(' ')}`))))
    if (queued.length === 0) process.nextTick(flush)
    queued.push(Buffer.from(`${line}\r\n`))
    if (data) queued.push(data, Buffer.from('\r\n'))
  })
  return {
    put: (data) => call(`put 1024 0 600 ${data.length}`, data, 'INSERTED'),
    reserve: () => call('reserve', undefined, 'RESERVED').then(({ words, body }) => ({ id: words[1], body })),
    delete: (id) => call(`delete ${id}`, undefined, 'DELETED'),
    close: () => new Promise((resolve) => socket.end(resolve)),
  }
}

export async function open({ port, window }) {
  const pool = connections(() => connect(port))
  return {
    async producer() {
      const c = await pool.open()
      return { publish: (payload) => c.put(payload) }
    },
    // A waiting `reserve` holds up every later command on its connection, and only the
    // connection that reserved a job may delete it: never ask for more jobs than will come.
    async consumer(onMessage, expected) {
      const c = await pool.open()
      let asked = 0
      let lastDelete = Promise.resolve()
      const next = () => {
        if (asked >= expected) return
        asked++
        c.reserve().then(({ id, body }) => {
          onMessage(body)
          lastDelete = c.delete(id)
          next()
        }, () => {}) // rejected only when the connection closes
      }
      for (let i = 0; i < window; i++) next()
      return { settled: () => lastDelete }
    },
    close: pool.close,
  }
}

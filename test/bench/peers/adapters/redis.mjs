// Redis streams over RESP on node:net (no client library): `XADD bench * d <payload>` per
// message; a consumer group read with `XREADGROUP COUNT <window> BLOCK 0`, one read outstanding,
// and one `XACK` per batch read. The commands of one event-loop turn go out in one write, as
// ioredis's auto-pipelining does.
import { connections, dial } from './connections.mjs'

const STREAM = 'bench'
const GROUP = 'g'

/** Encodes a command as a RESP array of bulk strings. */
function command(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return parts
}

class Incomplete extends Error {}

/**
 * Reads one RESP value at `at`: [value, next offset]; throws Incomplete when `buf` ends first.
 * Bulk strings come out as Buffers, errors as Error objects.
 */
function parse(buf, at) {
  const eol = buf.indexOf('\r\n', at)
  if (eol < 0) throw new Incomplete()
  const type = buf[at]
  const line = buf.toString('latin1', at + 1, eol)
  const next = eol + 2
  switch (type) {
    case 0x2b: // +
      return [line, next]
    case 0x2d: // -
      return [new Error(line), next]
    case 0x3a: // :
      return [Number(line), next]
    case 0x24: { // $
      const length = Number(line)
      if (length < 0) return [null, next]
      if (buf.length < next + length + 2) throw new Incomplete()
      return [buf.subarray(next, next + length), next + length + 2]
    }
    case 0x2a: { // *
      const count = Number(line)
      if (count < 0) return [null, next]
      const items = new Array(count)
      let offset = next
      for (let i = 0; i < count; i++) [items[i], offset] = parse(buf, offset)
      return [items, offset]
    }
    default:
      throw new Error(`not RESP: ${buf.toString('latin1', at, Math.min(eol, at + 40))}`)
  }
}

async function connect(port) {
  const socket = await dial(port)
  const waiting = []
  let buf = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    let offset = 0
    // A batch of a thousand entries spans several chunks: it is parsed again from its start
    // when more bytes come, which costs little next to reading them.
    for (;;) {
      let value
      try {
        [value, offset] = parse(buf, offset)
      } catch (err) {
        if (err instanceof Incomplete) break
        throw err
      }
      const waiter = waiting.shift()
      if (value instanceof Error) waiter.reject(value)
      else waiter.resolve(value)
      if (offset === buf.length) break
    }
    buf = offset === buf.length ? Buffer.alloc(0) : buf.subarray(offset)
  })
  socket.on('close', () => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed'))
  })
  let queued = []
  const flush = () => {
    socket.write(Buffer.concat(queued))
    queued = []
  }
  return {
    call: (...args) => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject })
      if (queued.length === 0) process.nextTick(flush)
      queued.push(...command(args))
    }),
    close: () => new Promise((resolve) => socket.end(resolve)),
  }
}

export async function open({ port, window }) {
  const pool = connections(() => connect(port))
  await (await pool.open()).call('XGROUP', 'CREATE', STREAM, GROUP, '$', 'MKSTREAM')
  return {
    async producer() {
      const c = await pool.open()
      return { publish: (payload) => c.call('XADD', STREAM, '*', 'd', payload) }
    },
    async consumer(onMessage, expected) {
      const c = await pool.open()
      let got = 0
      let lastAck = Promise.resolve()
      const read = async () => {
        while (got < expected) {
          const [[, entries]] = await c.call('XREADGROUP', 'GROUP', GROUP, 'c1', 'COUNT', window, 'BLOCK', 0, 'STREAMS', STREAM, '>')
          const ids = new Array(entries.length)
          for (let i = 0; i < entries.length; i++) {
            const [id, fields] = entries[i]
            ids[i] = id
            onMessage(fields[1])
          }
          got += entries.length
          // Not awaited: the next read goes out behind it, and redis answers in order.
          lastAck = c.call('XACK', STREAM, GROUP, ...ids)
        }
      }
      read().catch((err) => {
        if (got < expected) throw err
      })
      return { settled: () => lastAck }
    },
    close: pool.close,
  }
}

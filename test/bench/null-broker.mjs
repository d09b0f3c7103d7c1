// `node test/bench/null-broker.mjs [PORT]`: a stand-in broker that does no work, for measuring
// how fast a benchmark *client* can go on this machine. It speaks just enough of the binary
// protocol for the peers harness: publish is confirmed at once (nothing is written anywhere),
// subscribe pushes what was published (prefetch honoured), ack settles. One reply buffer per read.
// Not a broker: no durability, no validation, one queue. BENCHMARKS.md, "The client's ceiling".
import net from 'node:net'

const port = Number(process.argv[2] ?? 7499)
const queue = []
let head = 0
let seq = 0
/** Each connection's pump: a publish on one connection feeds a subscriber on another. */
const pumps = new Set()

function frame(json) {
  const size = Buffer.byteLength(json)
  const out = Buffer.allocUnsafe(4 + size)
  out.writeUInt32BE(size, 0)
  out.write(json, 4)
  return out
}

net.createServer({ noDelay: true }, (socket) => {
  let buf = Buffer.alloc(0)
  let sub
  const out = []
  const pump = () => {
    while (sub && sub.unacked < sub.prefetch && head < queue.length) {
      sub.unacked++
      out.push(frame(`{"op":"deliver","sub":"s1","mid":"m${head}","receipt":"r${head}","queue":"bench","body":${queue[head]},"receives":1}`))
      queue[head++] = undefined
    }
    if (out.length > 0) socket.write(Buffer.concat(out.splice(0)))
  }
  pumps.add(pump)
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    let off = 0
    while (buf.length - off >= 4) {
      const size = buf.readUInt32BE(off)
      if (buf.length - off - 4 < size) break
      const request = JSON.parse(buf.toString('utf8', off + 4, off + 4 + size))
      off += 4 + size
      if (request.op === 'publish') {
        queue.push(JSON.stringify(request.body))
        out.push(frame(`{"ok":true,"mid":"m${++seq}"}`))
      } else if (request.op === 'subscribe') {
        sub = { prefetch: request.prefetch ?? 100, unacked: 0 }
        out.push(frame('{"ok":true,"sub":"s1"}'))
      } else if (request.op === 'ack') {
        const n = request.receipts?.length ?? 1
        if (sub) sub.unacked -= n
        out.push(frame(`{"ok":true,"acked":${n}}`))
      } else {
        out.push(frame('{"ok":true}'))
      }
    }
    buf = buf.subarray(off)
    pump()
    for (const other of pumps) if (other !== pump) other()
  })
  socket.on('error', () => undefined)
  socket.on('close', () => pumps.delete(pump))
}).listen(port, '127.0.0.1', () => console.log(`null broker on 127.0.0.1:${port}`))

// Run by hand, not by npm test:
//   node --import=file://$PWD/node_modules/@tapjs/typescript/dist/esm/import.mjs test/fuzz/fuzz.ts [seconds=20] [attackers=20]
// The broker, the attackers and the clean clients share one process, so the RSS printed is an
// upper bound for the broker's own.
// Random, mutated and split frames from many connections while clean clients publish and
// consume; prints the broker's RSS and checks that the clean clients lost nothing.
import net from 'node:net'
import { Producer } from '../../producer/index.js'
import { Consumer } from '../../consumer/index.js'
import { startBroker } from '../helpers/broker.js'

const seconds = Number(process.argv[2] ?? 20)
const attackers = Number(process.argv[3] ?? 20)
const SAMPLES = [
  '{"op":"publish","queue":"fz","body":{"a":[1,2,{"b":null}]}}', '{"op":"receive","queue":"fz","max":5,"wait":1}',
  '{"op":"subscribe","queue":"fz","prefetch":3}', '{"op":"ack","receipts":["x","y"]}', '{"op":"declare","queue":"fz2","maxReceives":2,"deadLetter":"fz3"}',
  '{"op":"bind","topic":"t","queue":"fz","filter":{"k":["v"]}}', '{"op":"stats"}', '{"op":"peek","queue":"fz","state":"inflight"}',
]

function mutate(text: string): Buffer {
  const bytes = Buffer.from(text)
  for (let i = Math.floor(Math.random() * 4); i > 0; i--) bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256)
  return bytes
}

function frame(binary: boolean): Buffer {
  const r = Math.random()
  const body = r < 0.2 ? Buffer.from(Array.from({ length: Math.floor(Math.random() * 300) }, () => Math.floor(Math.random() * 256)))
    : r < 0.6 ? mutate(SAMPLES[Math.floor(Math.random() * SAMPLES.length)] as string)
      : Buffer.from(SAMPLES[Math.floor(Math.random() * SAMPLES.length)] as string)
  if (!binary) return Buffer.concat([body, Buffer.from('\n')])
  const header = Buffer.alloc(4)
  // Now and then a lying length: short, long, or absurd.
  header.writeUInt32BE(Math.random() < 0.05 ? Math.floor(Math.random() * 0xffffffff) : body.length)
  return Buffer.concat([header, body])
}

function attacker(port: number, until: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0
    const go = (): void => {
      if (Date.now() > until) return resolve(sent)
      const socket = net.connect({ port, host: '127.0.0.1' })
      const binary = Math.random() < 0.5
      socket.on('error', () => {})
      socket.on('data', () => {})
      socket.on('close', () => setImmediate(go))
      socket.on('connect', () => {
        let n = 0
        const tick = (): void => {
          if (socket.destroyed || n++ > 50 || Date.now() > until) return void socket.destroy()
          const bytes = Buffer.concat([frame(binary), frame(binary)])
          // Split at a random point, the halves in separate writes.
          const cut = Math.floor(Math.random() * bytes.length)
          socket.write(bytes.subarray(0, cut))
          setTimeout(() => {
            if (!socket.destroyed) socket.write(bytes.subarray(cut))
            sent += 2
            setTimeout(tick, Math.random() * 5)
          }, Math.random() * 3)
        }
        tick()
      })
    }
    go()
  })
}

const b = await startBroker()
const until = Date.now() + seconds * 1000
const url = `hubq://127.0.0.1:${b.port}`
const producer = await Producer.connect({ url })
const received = new Set<number>()
const consumer = await Consumer.start({ url, queue: 'clean', prefetch: 32, handler: async (m) => void received.add((m.body as { n: number }).n) })
const attacks = Array.from({ length: attackers }, () => attacker(b.port, until))
let published = 0
let peakRss = 0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200)
while (Date.now() < until) {
  await producer.publish('clean', { n: published })
  published++
}
const frames = (await Promise.all(attacks)).reduce((a, c) => a + c, 0)
for (let i = 0; i < 100 && received.size < published; i++) await new Promise((r) => setTimeout(r, 100))
clearInterval(sampler)
const lost = published - received.size
console.log(JSON.stringify({ seconds, attackers, hostileFrames: frames, published, received: received.size, lost, peakRssMiB: Math.round(peakRss / 1048576), connectionsLeft: b.broker.connections - 2 }))
await consumer.stop()
await producer.close()
await b.stop()
process.exit(lost === 0 ? 0 : 1)

// One kill -9 cycle's moving parts, shared by the test (20 cycles) and the soak script (many).
import { TestClient, type Frame } from '../helpers/broker.js'

const WINDOW = 64

/** Receives and acks until the queue is empty; returns the mids delivered. */
export async function drain(client: TestClient, queue: string): Promise<string[]> {
  const mids: string[] = []
  for (;;) {
    const got = await client.request({ op: 'receive', queue, max: 100 })
    if (!got.ok) throw new Error(`receive failed: ${JSON.stringify(got.error)}`)
    if (got.messages.length === 0) return mids
    for (const m of got.messages) mids.push(m.mid)
    const acked = await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })
    if (acked.acked !== got.messages.length) throw new Error(`acked ${acked.acked} of ${got.messages.length}`)
  }
}

/** Publishes with up to WINDOW requests in flight until `confirms` are confirmed, then kill -9. */
export async function publishAndKill(port: number, confirms: number, kill: () => void, cycle: number): Promise<string[]> {
  const client = await TestClient.connect(port)
  const confirmed: string[] = []
  let sent = 0
  let killed = false
  await new Promise<void>((resolve) => {
    client.socket.on('close', () => resolve())
    client.socket.on('error', () => undefined)
    const sendOne = (): void => {
      client.send({ op: 'publish', queue: 'q', body: { cycle, n: sent++, pad: 'p'.repeat(64) } })
      client.reply().then((reply) => {
        if (killed) return
        if (reply.ok) confirmed.push(reply.mid)
        if (confirmed.length >= confirms) {
          killed = true
          kill()
        } else {
          sendOne()
        }
      })
    }
    for (let i = 0; i < WINDOW; i++) sendOne()
  })
  return confirmed
}

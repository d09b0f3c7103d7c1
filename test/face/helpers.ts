// A real broker (in this process) with its SQS/SNS face on 127.0.0.1:0, and AWS SDK clients
// pointed at the face with dummy credentials: real HTTP both ways, nothing mocked.
import { SQSClient } from '@aws-sdk/client-sqs'
import { SNSClient } from '@aws-sdk/client-sns'
import { Broker } from '../../broker/server.js'
import { LocalStore } from '../../broker/store/local/store.js'
import { MemoryJournal, type Journal } from '../../broker/store/journal.js'
import type { Clock } from '../../shared/clock.js'
import type { AuthSettings } from '../../broker/auth/settings.js'
import type { Limits } from '../../shared/protocol/requests.js'

export interface FaceBroker {
  broker: Broker
  /** The hubq protocol's TCP port. */
  port: number
  endpoint: string
  sqsPort: number
  sqs(options?: { region?: string; accessKeyId?: string }): SQSClient
  sns(options?: { region?: string; accessKeyId?: string }): SNSClient
  stop(): Promise<void>
}

export async function startFaceBroker(t: { teardown(fn: () => unknown): void }, options: { journal?: Journal; clock?: Clock; stateFile?: string; auth?: AuthSettings; limits?: Partial<Limits> } = {}): Promise<FaceBroker> {
  const store = new LocalStore({ journal: options.journal ?? new MemoryJournal(), ...(options.clock ? { clock: options.clock } : {}) })
  const broker = new Broker({ store, sqs: { port: 0, ...(options.stateFile !== undefined ? { stateFile: options.stateFile } : {}) }, ...(options.auth ? { auth: options.auth } : {}), ...(options.limits ? { limits: options.limits } : {}) })
  const { port } = await broker.start(0)
  const sqsPort = broker.sqsAddress?.port ?? 0
  const endpoint = `http://127.0.0.1:${sqsPort}`
  const clients: { destroy(): void }[] = []
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await broker.stop()
  }
  t.teardown(async () => {
    await stop()
    for (const c of clients) c.destroy()
  })
  const config = (o: { region?: string; accessKeyId?: string }) => ({
    endpoint, region: o.region ?? 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: o.accessKeyId ?? 'test', secretAccessKey: 'test' },
  })
  return {
    broker, port, endpoint, sqsPort, stop,
    sqs: (o = {}) => {
      const client = new SQSClient(config(o))
      clients.push(client)
      return client
    },
    sns: (o = {}) => {
      const client = new SNSClient(config(o))
      clients.push(client)
      return client
    },
  }
}

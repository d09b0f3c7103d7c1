// Starts fauxqs (an SQS/SNS-compatible server) in this process on 127.0.0.1:0, and builds SQS and
// SNS clients pointed at it with dummy credentials. The tests talk real HTTP to it.
import { buildApp } from 'fauxqs'
import { SQSClient } from '@aws-sdk/client-sqs'
import { SNSClient } from '@aws-sdk/client-sns'
import { SqsStore, type SqsStoreOptions } from '../../broker/store/sqs/store.js'

export interface Fauxqs {
  endpoint: string
  port: number
  /** Clients with explicit endpoint, region and static dummy credentials. */
  clients(options?: { maxAttempts?: number }): { sqs: SQSClient; sns: SNSClient }
  /** An SqsStore on fresh clients; `prefix` keeps tests from seeing each other's queues. */
  store(prefix: string, options?: Partial<SqsStoreOptions>): SqsStore
  stop(): Promise<void>
}

export const REGION = 'us-east-1'
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' }

let prefixSeq = 0
/** A prefix unique within this process (SQS names: letters, digits, - and _). */
export function uniquePrefix(label = 't'): string {
  return `${label}${process.pid}x${++prefixSeq}-`
}

export async function startFauxqs(): Promise<Fauxqs> {
  const app = buildApp({ logger: false })
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' })
  const health = await fetch(`${endpoint}/health`)
  if (!health.ok) throw new Error(`fauxqs is not healthy: HTTP ${health.status}`)
  const port = Number(new URL(endpoint).port)
  const made: { destroy(): void }[] = []
  const clients = (options: { maxAttempts?: number } = {}): { sqs: SQSClient; sns: SNSClient } => {
    const config = { endpoint, region: REGION, credentials, maxAttempts: options.maxAttempts ?? 3 }
    const pair = { sqs: new SQSClient(config), sns: new SNSClient(config) }
    made.push(pair.sqs, pair.sns)
    return pair
  }
  return {
    endpoint,
    port,
    clients,
    store: (prefix, options = {}) => new SqsStore({
      url: { region: REGION, endpoint, prefix },
      ...clients(),
      subscriptionWait: 2,
      ...options,
    }),
    stop: async () => {
      for (const client of made) client.destroy()
      await app.close()
    },
  }
}

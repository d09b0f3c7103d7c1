// The cloud backend: the SNS/SQS core (shared/sqs/core.ts) behind the MessageStore seam. The core
// lives in shared/ because the clients' sqs:// mode runs it too, with no broker; what is the
// broker's alone is here: building it from `--backend` and `--max-queues`, and its start-up line.
import type { Logger } from '../../../shared/logger.js'
import { SqsCore, type SqsCoreOptions } from '../../../shared/sqs/core.js'
import { formatSqsUrl, parseSqsUrl } from '../../../shared/sqs/url.js'
import type { MessageStore } from '../types.js'

export type SqsStoreOptions = SqsCoreOptions

export class SqsStore extends SqsCore implements MessageStore {
  /** A store from an `sqs://` URL, with clients built from it and the standard AWS credentials. */
  static fromUrl(text: string, log?: Logger, options: Pick<SqsStoreOptions, 'maxQueues'> = {}): SqsStore {
    return new SqsStore({ url: parseSqsUrl(text), ...(log ? { log } : {}), ...options })
  }

  get description(): string {
    return `sqs (${formatSqsUrl(this.url)}): queues and messages live in SQS/SNS, a publish is confirmed once SQS or SNS accepted it`
  }
}

// Message and queue shapes shared by the broker, the stores and the clients (PROTOCOL.md §4).
import { piece, type FrameWriter } from './frame-writer.js'

export type Attrs = Record<string, string>

export interface QueueConfig {
  queue: string
  /** Seconds a received message stays invisible before it is redelivered. */
  visibilityTimeout: number
  /** Deliveries after which a released message goes to `deadLetter`; 0 = no limit. */
  maxReceives: number
  deadLetter?: string
  /** Default delay in seconds for messages published to this queue. */
  delay: number
  /** Seconds a message is kept before it expires. */
  retention: number
  fifo: boolean
}

export const QUEUE_DEFAULTS = {
  visibilityTimeout: 30,
  maxReceives: 0,
  delay: 0,
  retention: 345_600,
  fifo: false,
} as const

export interface PublishInput {
  /** The body as JSON text, exactly as it will be delivered. */
  bodyJson: string
  attrs?: Attrs
  /** Seconds; undefined = the queue's default. */
  delay?: number
  group?: string
  dedupId?: string
}

export interface Delivery {
  mid: string
  receipt: string
  queue: string
  bodyJson: string
  attrs?: Attrs
  receives: number
  publishedAt: number
  group?: string
}

export type PeekState = 'ready' | 'inflight' | 'delayed'

export interface QueueStats {
  queue: string
  ready: number
  inflight: number
  delayed: number
  published: number
  acked: number
  deadLettered: number
  /** Deliveries after the first (receives > 1) since the broker started. */
  redelivered: number
}

export interface TopicBinding {
  queue: string
  filter?: Record<string, string[]>
}

export interface TopicStats {
  topic: string
  bindings: TopicBinding[]
}

/** One delivery as JSON text, with the body spliced in without re-serialising it. */
export function deliveryJson(d: Delivery, withReceipt = true, prefix = '{'): string {
  let json = prefix + '"mid":"' + d.mid + '"'
  if (withReceipt) json += ',"receipt":"' + d.receipt + '"'
  json += ',"queue":' + JSON.stringify(d.queue) + ',"body":' + d.bodyJson
  json += ',"attrs":' + (d.attrs ? JSON.stringify(d.attrs) : '{}')
  json += ',"receives":' + d.receives + ',"publishedAt":' + d.publishedAt
  if (d.group !== undefined) json += ',"group":' + JSON.stringify(d.group)
  return json + '}'
}

const MID = piece('"mid":"')
const RECEIPT = piece('","receipt":"')
const NO_ATTRS = piece(',"attrs":{},"receives":')
const ATTRS = piece(',"attrs":')
const RECEIVES = piece(',"receives":')
const PUBLISHED_AT = piece(',"publishedAt":')
const GROUP = piece(',"group":')
const END = piece('}')

/** The last queue written by writeDelivery and its `","queue":NAME,"body":` piece: deliveries come in runs of one queue. */
let lastQueue: string | undefined
let lastQueuePiece: Uint8Array = new Uint8Array(0)

/** deliveryJson's text written into `out` as the frame under way, piece by piece: no string of it is made. */
export function writeDelivery(out: FrameWriter, d: Delivery, withReceipt = true, prefix = '{'): void {
  if (d.queue !== lastQueue) {
    lastQueue = d.queue
    lastQueuePiece = piece('","queue":' + JSON.stringify(d.queue) + ',"body":')
  }
  out.text(prefix)
  out.bytes(MID)
  out.text(d.mid)
  if (withReceipt) {
    out.bytes(RECEIPT)
    out.text(d.receipt)
  }
  out.bytes(lastQueuePiece)
  out.text(d.bodyJson)
  if (d.attrs) {
    out.bytes(ATTRS)
    out.text(JSON.stringify(d.attrs))
    out.bytes(RECEIVES)
  } else {
    out.bytes(NO_ATTRS)
  }
  out.number(d.receives)
  out.bytes(PUBLISHED_AT)
  out.number(d.publishedAt)
  if (d.group !== undefined) {
    out.bytes(GROUP)
    out.text(JSON.stringify(d.group))
  }
  out.bytes(END)
}

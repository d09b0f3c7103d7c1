// Making and changing queues: a declare's validation, its record, and its undo when the log
// refuses it (PROTOCOL.md §4.1, §3 for the queue limit).
import { badRequest, tooManyQueues } from '../../shared/errors.js'
import { QUEUE_DEFAULTS, type QueueConfig } from '../../shared/protocol/types.js'
import type { DeclareInput } from '../../shared/protocol/store-types.js'
import type { Queue } from './queue.js'
import { declared } from './apply.js'
import type { EnginePort } from './port.js'
import type { Undo } from './undo.js'

/**
 * Makes or changes the queue now, its record written; `undo` learns how to take it back.
 * `maxQueues` undefined: a queue the broker itself needs (a dead-letter move, a redrive) is made
 * even over the limit. True when the queue is new.
 */
export function declareQueue(
  queues: Map<string, Queue>, port: EnginePort, input: DeclareInput, maxQueues: number | undefined, undo?: Undo,
): boolean {
  const existing = queues.get(input.queue)
  if (!existing && maxQueues !== undefined && queues.size >= maxQueues) {
    throw tooManyQueues(maxQueues, input.queue)
  }
  if (existing && input.fifo !== undefined && input.fifo !== existing.config.fifo) {
    throw badRequest(`queue ${input.queue} exists with fifo=${existing.config.fifo}; drop it first`)
  }
  const config: QueueConfig = { ...(existing?.config ?? { queue: input.queue, ...QUEUE_DEFAULTS }) }
  for (const key of ['visibilityTimeout', 'maxReceives', 'delay', 'retention', 'fifo', 'deadLetter'] as const) {
    if (input[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = input[key]
  }
  port.write({ type: 'declare', config })
  const previous = existing?.config
  const queue = declared(queues, config)
  if (existing) {
    undo?.add(() => {
      if (existing.config === config) existing.config = previous as QueueConfig
    })
    return false
  }
  undo?.add(() => {
    if (queues.get(config.queue) !== queue) return
    // What a publish behind it put there keeps the queue, as a restart would: with the defaults.
    if (queue.size > 0) queue.config = { queue: config.queue, ...QUEUE_DEFAULTS }
    else queues.delete(config.queue)
  })
  return true
}

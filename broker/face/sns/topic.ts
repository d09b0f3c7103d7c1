// Finding the hubq topic an SNS request names (by TopicArn), and what the face keeps about it.
import { nameOfArn } from '../caller.js'
import type { Call, Face } from '../context.js'
import { snsInvalidParameter, snsNotFound } from '../errors.js'
import { reqString, type Input } from '../params.js'
import type { TopicMeta } from '../state.js'

/** SNS topic names that are hubq names: 1 to 80 of A-Z a-z 0-9 - _, `.fifo` at the end of a fifo topic's. */
export const TOPIC_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$/

export function isFifoTopic(name: string): boolean {
  return name.endsWith('.fifo')
}

/** The topic name an ARN names; InvalidParameter for anything that is not an SNS topic ARN. */
export function topicOfArn(value: string, parameter = 'TopicArn'): string {
  const name = nameOfArn(value, 'sns')
  if (name === undefined || !/^[A-Za-z0-9_.-]{1,80}$/.test(name)) throw snsInvalidParameter(`Invalid parameter: ${parameter}`)
  return name
}

/** The hubq topics the face shows: every topic of the store. */
export async function visibleTopics(face: Face): Promise<{ topic: string; bindings: { queue: string; filter?: Record<string, string[]> }[] }[]> {
  return (await face.store.stats()).topics
}

/**
 * A state file written by an older hubq marks a deleted topic `deleted` and left the hubq topic
 * in the store (hidden): at start-up it is dropped now, as DeleteTopic does today.
 */
export async function dropHiddenTopics(face: Face): Promise<void> {
  let changed = false
  for (const [name, meta] of face.state.topics) {
    if (meta.deleted !== true) continue
    try {
      await face.store.dropTopic(name)
    } catch (err) {
      if ((err as { code?: string }).code !== 'not_found') throw err
    }
    face.state.topics.delete(name)
    changed = true
  }
  if (changed) await face.state.save()
}

/** The topic of `input[key]`, which must exist (NotFound otherwise). */
export async function existingTopic(input: Input, call: Call, key = 'TopicArn'): Promise<{ name: string; meta: TopicMeta }> {
  const name = topicOfArn(reqString(input, key), key)
  if (!(await visibleTopics(call.face)).some((t) => t.topic === name)) throw snsNotFound('Topic does not exist')
  return { name, meta: topicMetaOf(call.face, name) }
}

/** The face's record of a topic; one made through the hubq protocol gets one on first sight. */
export function topicMetaOf(face: Face, name: string): TopicMeta {
  let meta = face.state.topics.get(name)
  if (!meta) {
    meta = { attributes: {}, tags: {} }
    face.state.topics.set(name, meta)
  }
  return meta
}

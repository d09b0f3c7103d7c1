// TagQueue, UntagQueue, ListQueueTags: tags live in the face's state (PROTOCOL.md §12).
import type { Action } from '../context.js'
import { invalidParameterValue } from '../errors.js'
import { stringList, stringMap } from '../params.js'
import { existingQueue } from './queue.js'

export function checkTags(tags: Record<string, string>): Record<string, string> {
  const keys = Object.keys(tags)
  if (keys.length > 50) throw invalidParameterValue('Too many tags: a queue has at most 50.')
  for (const key of keys) {
    if (key.length < 1 || key.length > 128) throw invalidParameterValue(`Tag key ${JSON.stringify(key)} must be 1 to 128 characters.`)
    if ((tags[key] as string).length > 256) throw invalidParameterValue(`Tag value of ${key} must be at most 256 characters.`)
  }
  return { ...tags }
}

export const tagQueue: Action = async (input, call) => {
  const { meta } = await existingQueue(input, call)
  const tags = checkTags(stringMap(input, 'Tags'))
  const merged = checkTags({ ...meta.tags, ...tags })
  meta.tags = merged
  await call.face.state.save()
  return {}
}

export const untagQueue: Action = async (input, call) => {
  const { meta } = await existingQueue(input, call)
  for (const key of stringList(input, 'TagKeys')) delete meta.tags[key]
  await call.face.state.save()
  return {}
}

export const listQueueTags: Action = async (input, call) => {
  const { meta } = await existingQueue(input, call)
  return Object.keys(meta.tags).length > 0 ? { Tags: { ...meta.tags } } : {}
}

// TagResource, UntagResource, ListTagsForResource on topics: tags live in the face's state.
import type { Action, Call } from '../context.js'
import { AwsError, snsInvalidParameter } from '../errors.js'
import { reqString, stringList, type Input } from '../params.js'
import { pairsToMap } from '../query.js'
import type { TopicMeta } from '../state.js'
import { topicOfArn, topicMetaOf, visibleTopics } from './topic.js'

/** A `Tags` list of {Key, Value} as a map. */
export function tagsOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  const map = pairsToMap(value, 'Key', 'Value')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string') throw snsInvalidParameter(`Invalid parameter: Tags Reason: the tag ${k} has no value`)
    out[k] = v
  }
  return out
}

export function checkTopicTags(tags: Record<string, string>): Record<string, string> {
  const keys = Object.keys(tags)
  if (keys.length > 50) throw new AwsError('TagLimitExceeded', 'Could not complete request: tag quota of per resource exceeded')
  for (const key of keys) {
    if (key.length < 1 || key.length > 128) throw snsInvalidParameter(`Invalid parameter: TagKey ${JSON.stringify(key)} must be 1 to 128 characters`)
    if ((tags[key] as string).length > 256) throw snsInvalidParameter(`Invalid parameter: TagValue of ${key} must be at most 256 characters`)
  }
  return { ...tags }
}

async function taggedTopic(input: Input, call: Call): Promise<TopicMeta> {
  const name = topicOfArn(reqString(input, 'ResourceArn'), 'ResourceArn')
  if (!(await visibleTopics(call.face)).some((t) => t.topic === name)) {
    throw new AwsError('ResourceNotFound', 'Resource does not exist', { status: 404 })
  }
  return topicMetaOf(call.face, name)
}

export const tagResource: Action = async (input, call) => {
  const meta = await taggedTopic(input, call)
  meta.tags = checkTopicTags({ ...meta.tags, ...checkTopicTags(tagsOf(input.Tags)) })
  await call.face.state.save()
  return {}
}

export const untagResource: Action = async (input, call) => {
  const meta = await taggedTopic(input, call)
  for (const key of stringList(input, 'TagKeys')) delete meta.tags[key]
  await call.face.state.save()
  return {}
}

export const listTagsForResource: Action = async (input, call) => {
  const meta = await taggedTopic(input, call)
  return { Tags: Object.entries(meta.tags).map(([Key, Value]) => ({ Key, Value })) }
}

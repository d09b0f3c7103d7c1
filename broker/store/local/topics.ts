// Topics and their bindings in the local store (PROTOCOL.md §4.11-§4.14): each change answers
// once its record is durable (a confirmed bind survives a crash), and a refused write undoes it.
import { notFound } from '../../../shared/errors.js'
import { Undo } from '../../queues/undo.js'
import type { Bindings } from './replay.js'
import type { LocalStore } from './store.js'

export function createTopic(store: LocalStore, topic: string): Promise<{ created: boolean }> {
  const { topics, journal } = store
  if (topics.has(topic)) return journal.commit().then(() => ({ created: false }))
  journal.append({ type: 'topic', topic })
  const bindings: Bindings = new Map()
  topics.set(topic, bindings)
  const undo = new Undo(() => {
    if (topics.get(topic) === bindings) topics.delete(topic)
  })
  return store.afterCommit(undo, { created: true })
}

/** The topic goes with its bindings; the queues it fed keep their messages. */
export function dropTopic(store: LocalStore, topic: string): Promise<void> {
  const { topics, journal } = store
  const bindings = topics.get(topic)
  if (!bindings) throw notFound(`topic ${topic} does not exist`)
  journal.append({ type: 'drop-topic', topic })
  topics.delete(topic)
  const undo = new Undo(() => {
    if (!topics.has(topic)) topics.set(topic, bindings)
  })
  return store.afterCommit(undo, undefined)
}

export function bind(store: LocalStore, topic: string, queue: string, filter?: Record<string, string[]>): Promise<void> {
  const bindings = store.topics.get(topic)
  if (!bindings) throw notFound(`topic ${topic} does not exist`)
  const undo = new Undo()
  if (!store.engine.queues.has(queue)) store.engine.declare({ queue }, true, undo)
  store.journal.append({ type: 'bind', topic, queue, ...(filter ? { filter } : {}) })
  const had = bindings.has(queue)
  const previous = bindings.get(queue)
  bindings.set(queue, filter)
  undo.add(() => {
    if (had) bindings.set(queue, previous)
    else bindings.delete(queue)
  })
  return store.afterCommit(undo, undefined)
}

export function unbind(store: LocalStore, topic: string, queue: string): Promise<void> {
  const { topics, journal } = store
  const bindings = topics.get(topic)
  if (!bindings) throw notFound(`topic ${topic} does not exist`)
  if (!bindings.has(queue)) throw notFound(`queue ${queue} is not bound to topic ${topic}`)
  journal.append({ type: 'unbind', topic, queue })
  const filter = bindings.get(queue)
  bindings.delete(queue)
  const undo = new Undo(() => {
    if (topics.get(topic) === bindings && !bindings.has(queue)) bindings.set(queue, filter)
  })
  return store.afterCommit(undo, undefined)
}

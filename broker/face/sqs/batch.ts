// The batch actions' shared rules: 1 to 10 entries, distinct ids of A-Z a-z 0-9 - _ (≤ 80), and
// each entry answered on its own (Successful or Failed), never a half-applied entry as success.
import { AwsError, batchEntryIdsNotDistinct, emptyBatchRequest, invalidBatchEntryId, toAwsError, tooManyEntriesInBatchRequest } from '../errors.js'
import { objectOf, optList, type Input } from '../params.js'

const ID = /^[A-Za-z0-9_-]{1,80}$/

export function batchEntries(input: Input): Input[] {
  const list = optList(input, 'Entries') ?? []
  if (list.length === 0) throw emptyBatchRequest('There should be at least one entry in the request.')
  if (list.length > 10) throw tooManyEntriesInBatchRequest(`Maximum number of entries per request are 10. You have sent ${list.length}.`)
  const entries = list.map((e, i) => objectOf(e, `Entries.${i + 1}`))
  const seen = new Set<string>()
  for (const entry of entries) {
    const id = entry.Id
    if (typeof id !== 'string' || !ID.test(id)) throw invalidBatchEntryId('A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.')
    if (seen.has(id)) throw batchEntryIdsNotDistinct(`Id ${id} repeated.`)
    seen.add(id)
  }
  return entries
}

export interface Failed {
  Id: string
  SenderFault: boolean
  Code: string
  Message: string
}

export function failed(id: string, err: unknown): Failed {
  const error = err instanceof AwsError ? err : toAwsError(err)
  return { Id: id, SenderFault: error.fault === 'Sender', Code: error.queryCode, Message: error.message }
}

/**
 * A publishing batch: each entry prepared on its own (a refused one goes to Failed, worded by
 * `errorOf`), then the prepared ones sent together, all confirmed or all Failed with the
 * send's error.
 */
export async function sendEach<P, R>(
  entries: Input[], prepare: (entry: Input) => P, send: (prepared: P[]) => Promise<R[]>, errorOf: (err: unknown) => unknown = (err) => err,
): Promise<{ Successful: (R & { Id: string })[]; Failed: Failed[] }> {
  const Failed: Failed[] = []
  const ok: { id: string; prepared: P }[] = []
  for (const entry of entries) {
    try {
      ok.push({ id: entry.Id as string, prepared: prepare(entry) })
    } catch (err) {
      Failed.push(failed(entry.Id as string, errorOf(err)))
    }
  }
  const Successful: (R & { Id: string })[] = []
  if (ok.length > 0) {
    try {
      const sent = await send(ok.map((o) => o.prepared))
      ok.forEach((o, i) => Successful.push({ Id: o.id, ...(sent[i] as R) }))
    } catch (err) {
      for (const o of ok) Failed.push(failed(o.id, errorOf(err)))
    }
  }
  return { Successful, Failed }
}

// The face's state file (sqs-face.json) is replaced so that a power cut keeps either the old
// state or the new one, and the new one once save() has resolved: checked on the power-cut
// model of the disk (test/helpers/power-cut-fs.ts), which keeps a name only once its folder is
// fsynced.
import t from 'tap'
import { FaceState } from '../../broker/face/state.js'
import { PowerCutFs } from '../helpers/power-cut-fs.js'

const FILE = '/data/sqs-face.json'

function meta(created: number) {
  return { attributes: { VisibilityTimeout: '45' }, tags: {}, created, modified: created }
}

t.test('a saved state survives a power cut', async (t) => {
  const disk = PowerCutFs.fromImage({ files: new Map(), dirs: new Set(['/', '/data']) })
  const state = await FaceState.load(FILE, disk)
  state.queues.set('jobs', meta(1))
  await state.save()
  const after = PowerCutFs.fromImage(disk.image())
  const loaded = await FaceState.load(FILE, after)
  t.same(loaded.queues.get('jobs'), meta(1), 'the queue set before the cut is there after it')
  loaded.queues.set('mail', meta(2))
  await loaded.save()
  const again = await FaceState.load(FILE, PowerCutFs.fromImage(after.image()))
  t.same([...again.queues.keys()].sort(), ['jobs', 'mail'], 'a replaced file is the new one after a cut')
})

t.test('a state folder the face made is kept too', async (t) => {
  const disk = PowerCutFs.fromImage({ files: new Map(), dirs: new Set(['/']) })
  const state = await FaceState.load('/data/deep/sqs-face.json', disk)
  state.topics.set('news', { attributes: {}, tags: {} })
  await state.save()
  const loaded = await FaceState.load('/data/deep/sqs-face.json', PowerCutFs.fromImage(disk.image()))
  t.ok(loaded.topics.has('news'))
})

// The power-cut model itself: it must keep exactly what POSIX promises to keep, or the walk in
// test/store/log/power-cut.test.ts proves nothing.
import t from 'tap'
import { PowerCutFs, SECTOR_BYTES, type DiskImage } from './power-cut-fs.js'

const DIR = '/data'

/** A disk with an empty, durable folder /data. */
function disk(options: ConstructorParameters<typeof PowerCutFs>[0] = {}): PowerCutFs {
  return PowerCutFs.fromImage({ files: new Map(), dirs: new Set(['/', DIR]) }, options)
}

async function syncDir(fs: PowerCutFs, dir = DIR): Promise<void> {
  const fd = await fs.open(dir, 'r')
  await fs.fsync(fd)
  await fs.close(fd)
}

function file(image: DiskImage, path: string): string | undefined {
  return image.files.get(path)?.toString()
}

t.test('file bytes are durable only once synced', async (t) => {
  const fs = disk()
  const fd = await fs.open(`${DIR}/a`, 'w')
  await syncDir(fs)
  await fs.write(fd, Buffer.from('one'), 0)
  t.equal(file(fs.image(), `${DIR}/a`), '', 'an unsynced write is lost')
  await fs.fdatasync(fd)
  await fs.write(fd, Buffer.from('two'), 3)
  await fs.ftruncate(fd, 1)
  t.equal(file(fs.image(), `${DIR}/a`), 'one', 'synced bytes stay; a later write and truncation are lost')
  t.equal((await fs.readFile(`${DIR}/a`)).toString(), 'o', 'the running process reads what it wrote')
  await fs.fsync(fd)
  t.equal(file(fs.image(), `${DIR}/a`), 'o', 'the truncation is durable once synced')
})

t.test('a name is durable only once its folder is synced', async (t) => {
  const fs = disk()
  const fd = await fs.open(`${DIR}/a`, 'w')
  await fs.write(fd, Buffer.from('data'), 0)
  await fs.fdatasync(fd)
  t.equal(fs.image().files.has(`${DIR}/a`), false, 'a created file whose folder was not synced is gone, synced bytes and all')
  t.equal(fs.image(undefined, 'all').files.has(`${DIR}/a`), true, 'unless unsynced names land anyway')
  await syncDir(fs)
  t.equal(file(fs.image(), `${DIR}/a`), 'data')

  await fs.rename(`${DIR}/a`, `${DIR}/b`)
  t.same([...fs.image().files.keys()], [`${DIR}/a`], 'a rename not synced: the old name')
  await syncDir(fs)
  t.same([...fs.image().files.keys()], [`${DIR}/b`], 'synced: the new name')

  await fs.unlink(`${DIR}/b`)
  t.same([...fs.image().files.keys()], [`${DIR}/b`], 'an unlink not synced: the file is back')
  await syncDir(fs)
  t.same([...fs.image().files.keys()], [], 'synced: gone')
})

t.test('unsynced name changes may land out of order', async (t) => {
  const fs = disk()
  for (const name of ['a', 'b']) await fs.close(await fs.open(`${DIR}/${name}`, 'w'))
  await syncDir(fs)
  await fs.unlink(`${DIR}/a`)
  await fs.unlink(`${DIR}/b`)
  await fs.close(await fs.open(`${DIR}/c`, 'w'))
  t.same([...fs.image(undefined, 'reordered').files.keys()].sort(), [`${DIR}/a`, `${DIR}/c`], 'the first change lost, the later ones landed')
  t.same([...fs.image(undefined, 'all').files.keys()].sort(), [`${DIR}/c`], 'or all of them')
  t.same([...fs.image().files.keys()].sort(), [`${DIR}/a`, `${DIR}/b`], 'or none')
})

t.test('a folder made is durable only once its parent is synced; mkdir tells the first one made', async (t) => {
  const fs = disk()
  t.equal(await fs.mkdir(`${DIR}/x/y`), `${DIR}/x`)
  t.equal(await fs.mkdir(`${DIR}/x/y`), undefined, 'nothing made the second time')
  t.same([...fs.image().dirs].sort(), ['/', DIR])
  await syncDir(fs)
  t.same([...fs.image().dirs].sort(), ['/', DIR, `${DIR}/x`], 'x is durable, y not yet')
  await syncDir(fs, `${DIR}/x`)
  t.same([...fs.image().dirs].sort(), ['/', DIR, `${DIR}/x`, `${DIR}/x/y`])
})

t.test('a torn tail keeps the unsynced writes in order and the last one up to a sector boundary', async (t) => {
  const fs = disk()
  const fd = await fs.open(`${DIR}/a`, 'w')
  await syncDir(fs)
  await fs.write(fd, Buffer.alloc(100, 'a'), 0)
  await fs.fdatasync(fd)
  await fs.write(fd, Buffer.alloc(50, 'b'), 100)
  await fs.write(fd, Buffer.alloc(1500, 'c'), 150)
  const most = fs.image('most').files.get(`${DIR}/a`) as Buffer
  t.equal(most.length, 3 * SECTOR_BYTES, 'torn at the last sector boundary inside the last write')
  t.equal(most.toString(), `${'a'.repeat(100)}${'b'.repeat(50)}${'c'.repeat(3 * SECTOR_BYTES - 150)}`)
  const least = fs.image('least').files.get(`${DIR}/a`) as Buffer
  t.equal(least.length, SECTOR_BYTES, 'or at the first one')
  t.equal(fs.image().files.get(`${DIR}/a`)?.length, 100, 'without a tear: the synced bytes only')
})

t.test('the power cut at call k: that call never happens, nothing answers again, and dead tells the image', async (t) => {
  const fs = disk({ cutAt: 2 })
  const fd = await fs.open(`${DIR}/a`, 'w')
  await fs.write(fd, Buffer.from('kept'), 0)
  t.same(fs.calls.map((c) => c.op), ['open w', 'write'])
  let settled = false
  void fs.fdatasync(fd).then(() => (settled = true), () => (settled = true))
  const image = await fs.dead
  t.equal(fs.cut, true)
  t.equal(image.files.has(`${DIR}/a`), false, 'neither the unsynced name nor its bytes survive')
  let read = false
  void fs.readFile(`${DIR}/a`).then(() => (read = true), () => (read = true))
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'the call the power was cut at never answers')
  t.equal(read, false, 'nor does any call after it')
})

t.test('a call in flight when the power goes has taken effect, though it never answers', async (t) => {
  const fs = disk({ cutAt: 4 })
  const fd = await fs.open(`${DIR}/a`, 'w')
  await syncDir(fs)
  await fs.write(fd, Buffer.from('kept'), 0)
  // Made, but its answer comes on a later turn: the cut comes first.
  void fs.fdatasync(fd)
  void fs.ftruncate(fd, 0)
  t.equal(file(await fs.dead, `${DIR}/a`), 'kept', 'the fsync took effect; the truncation, cut at, did not')
})

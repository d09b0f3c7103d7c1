// The filter rule on its own: every key of the filter must be in attrs with one of its values.
import t from 'tap'
import { matchesFilter } from '../../broker/store/local/filter.js'

t.test('simple filter policies', async (t) => {
  const cases: [Record<string, string[]> | undefined, Record<string, string> | undefined, boolean][] = [
    [undefined, undefined, true],
    [undefined, { a: '1' }, true],
    [{}, undefined, true],
    [{ a: ['1'] }, undefined, false],
    [{ a: ['1'] }, {}, false],
    [{ a: ['1'] }, { a: '1' }, true],
    [{ a: ['1', '2'] }, { a: '2', b: 'x' }, true],
    [{ a: ['1'] }, { a: '10' }, false],
    [{ a: ['1'] }, { A: '1' }, false],
    [{ a: [''] }, { a: '' }, true],
    [{ a: ['1'], b: ['x'] }, { a: '1' }, false],
    [{ a: ['1'], b: ['x'] }, { a: '1', b: 'x' }, true],
    [{ a: ['1'], b: ['x'] }, { a: '1', b: 'y' }, false],
    [{ toString: ['x'] }, {}, false],
    [{ constructor: ['x'] }, { constructor: 'x' }, true],
  ]
  for (const [filter, attrs, expected] of cases) {
    t.equal(matchesFilter(filter, attrs), expected, `${JSON.stringify(filter)} on ${JSON.stringify(attrs)}`)
  }
})

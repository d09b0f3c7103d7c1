// SNS filter policies as the face checks and evaluates them (broker/face/sns/filter-policy.ts):
// the cases the HTTP tests do not reach, and which policies the store's bind filter can carry.
import t from 'tap'
import { bindFilterOf, matchesPolicy, parsePolicy } from '../../broker/face/sns/filter-policy.js'

const attrs = (values: Record<string, string>, types: Record<string, string> = {}): Record<string, string> =>
  Object.keys(types).length > 0 ? { ...values, 'AWS.DataTypes': JSON.stringify(types) } : values

t.test('invalid policies are InvalidParameter naming FilterPolicy', async (t) => {
  const bad = [
    '[]', '{"a": []}', '{"a": "x"}', '{"a": [{"numeric": [">", 5, ">", 6]}]}', '{"a": [{"numeric": [">", 6, "<", 5]}]}',
    '{"a": [{"numeric": ["=", "5"]}]}', '{"a": [{"prefix": ""}]}', '{"a": [{"exists": "yes"}]}', '{"a": [{"anything-but": {"wildcard": "x"}}]}',
    '{"a": [null]}', '{"$or": [{"a": ["x"]}]}', '{"a": [1e10]}', '{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"],"f":["x"]}',
  ]
  for (const text of bad) t.throws(() => parsePolicy(text, 'MessageAttributes'), { code: 'InvalidParameter', message: /FilterPolicy/ }, text)
  t.ok(parsePolicy('{"a": [null], "b": {"c": ["x"]}}', 'MessageBody'), 'null and nesting with the MessageBody scope')
})

t.test('which policies the store\'s bind carries', async (t) => {
  t.same(bindFilterOf({ a: ['x', 'y'] }, 'MessageAttributes'), { a: ['x', 'y'] })
  t.equal(bindFilterOf({}, 'MessageAttributes'), undefined, 'an empty policy: a binding without a filter')
  t.equal(bindFilterOf({ a: ['x', 1] }, 'MessageAttributes'), false)
  t.equal(bindFilterOf({ a: [{ prefix: 'x' }] }, 'MessageAttributes'), false)
  t.equal(bindFilterOf({ a: ['x'] }, 'MessageBody'), false)
})

t.test('evaluation: data types, String.Array, anything-but prefix, numeric equality', async (t) => {
  const p = (text: string): ReturnType<typeof parsePolicy> => parsePolicy(text, 'MessageAttributes')
  t.ok(matchesPolicy(p('{"tags": ["b"]}'), 'MessageAttributes', attrs({ tags: '["a","b"]' }, { tags: 'String.Array' }), ''), 'String.Array: any item')
  t.notOk(matchesPolicy(p('{"n": ["3"]}'), 'MessageAttributes', attrs({ n: '3' }, { n: 'Number' }), ''), 'a string rule does not match a Number attribute')
  t.ok(matchesPolicy(p('{"n": [3]}'), 'MessageAttributes', attrs({ n: '3.0' }, { n: 'Number' }), ''), 'numbers compare as numbers')
  t.ok(matchesPolicy(p('{"n": [{"numeric": ["=", 300]}]}'), 'MessageAttributes', attrs({ n: '3e2' }, { n: 'Number' }), ''))
  t.ok(matchesPolicy(p('{"c": [{"anything-but": {"prefix": "int-"}}]}'), 'MessageAttributes', attrs({ c: 'prod' }), ''))
  t.notOk(matchesPolicy(p('{"c": [{"anything-but": {"prefix": "int-"}}]}'), 'MessageAttributes', attrs({ c: 'int-1' }), ''))
  t.notOk(matchesPolicy(p('{"b": ["x"]}'), 'MessageAttributes', attrs({ b: 'eA==' }, { b: 'Binary' }), ''), 'Binary matches no value')
  t.ok(matchesPolicy(p('{"b": [{"exists": true}]}'), 'MessageAttributes', attrs({ b: 'eA==' }, { b: 'Binary' }), ''), 'but is present')
  const body = parsePolicy('{"a": {"b": [null, {"prefix": "x"}]}, "tags": ["t2"]}', 'MessageBody')
  t.ok(matchesPolicy(body, 'MessageBody', undefined, '{"a": {"b": null}, "tags": ["t1", "t2"]}'))
  t.ok(matchesPolicy(body, 'MessageBody', undefined, '{"a": {"b": "xy"}, "tags": "t2"}'))
  t.notOk(matchesPolicy(body, 'MessageBody', undefined, '{"a": {"b": "yx"}, "tags": "t2"}'))
  t.notOk(matchesPolicy(body, 'MessageBody', undefined, 'not json'))
})

import t from 'tap'
import { formatSqsUrl, isSqsUrl, parseSqsUrl } from '../../../shared/sqs/url.js'

t.test('parses region, endpoint and prefix', async (t) => {
  t.same(parseSqsUrl('sqs://?region=eu-west-1'), { region: 'eu-west-1', prefix: '' })
  t.same(
    parseSqsUrl('sqs://?region=us-east-1&endpoint=http://127.0.0.1:4566&prefix=dev_'),
    { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566', prefix: 'dev_' },
  )
  t.same(parseSqsUrl('sqs:///?region=us-east-1&prefix=a-'), { region: 'us-east-1', prefix: 'a-' })
  t.ok(isSqsUrl('sqs://?region=x'))
  t.notOk(isSqsUrl('hubq://127.0.0.1:7400'))
})

t.test('round-trips through formatSqsUrl', async (t) => {
  const url = { region: 'us-east-1', endpoint: 'http://localhost:9324', prefix: 'p-' }
  t.same(parseSqsUrl(formatSqsUrl(url)), url)
})

t.test('refuses what cannot work, with a precise message', async (t) => {
  const cases: [string, RegExp][] = [
    ['hubq://127.0.0.1', /starts with sqs:\/\//],
    ['sqs://host?region=us-east-1', /form sqs:\/\/\?region=R/],
    ['sqs://?endpoint=http://x', /needs region=R/],
    ['sqs://?region=us-east-1&prefix=a.b', /prefix must be/],
    ['sqs://?region=us-east-1&endpoint=ftp://x', /endpoint must be an http\(s\) URL/],
    ['sqs://?region=us-east-1&endpoint=notaurl', /endpoint must be an http\(s\) URL/],
    ['sqs://?region=us-east-1&regoin=x', /unknown SQS URL parameter "regoin"/],
  ]
  for (const [text, message] of cases) t.throws(() => parseSqsUrl(text), { name: 'SqsUrlError', message }, text)
})

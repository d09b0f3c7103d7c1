# Drives the SQS face with Debian's python3-boto3 (the query protocol: form requests, XML replies)
# and prints what it saw as one JSON line for test/face/sqs-query.test.ts to check.
import json
import sys

import boto3
import botocore

endpoint = sys.argv[1]
sqs = boto3.client('sqs', endpoint_url=endpoint, region_name='eu-west-1',
                   aws_access_key_id='test', aws_secret_access_key='test')
out = {'botocore': botocore.__version__, 'protocol': sqs.meta.service_model.protocol}
url = sqs.create_queue(QueueName='py', Attributes={'VisibilityTimeout': '40'})['QueueUrl']
out['url'] = url
out['attrs'] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['VisibilityTimeout', 'QueueArn'])['Attributes']
sent = sqs.send_message(QueueUrl=url, MessageBody='from <python> & co',
                        MessageAttributes={'n': {'DataType': 'Number', 'StringValue': '3'},
                                           'b': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01'}})
out['sent'] = {k: sent[k] for k in ('MessageId', 'MD5OfMessageBody', 'MD5OfMessageAttributes')}
batch = sqs.send_message_batch(QueueUrl=url, Entries=[{'Id': 'a', 'MessageBody': 'one'},
                                                      {'Id': 'b', 'MessageBody': 'two', 'DelaySeconds': 5000}])
out['batch'] = {'ok': [e['Id'] for e in batch.get('Successful', [])],
                'failed': [[e['Id'], e['Code']] for e in batch.get('Failed', [])]}
got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=['All'],
                          AttributeNames=['ApproximateReceiveCount'])
msgs = got.get('Messages', [])
out['received'] = [{'Body': m['Body'], 'MD5OfMessageAttributes': m.get('MD5OfMessageAttributes'),
                    'n': m.get('MessageAttributes', {}).get('n'),
                    'b': list(m.get('MessageAttributes', {}).get('b', {}).get('BinaryValue', b'')),
                    'count': m['Attributes']['ApproximateReceiveCount']} for m in msgs]
deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']}
                                                          for i, m in enumerate(msgs)])
out['deleted'] = len(deleted.get('Successful', []))
out['queues'] = sqs.list_queues(QueueNamePrefix='p').get('QueueUrls', [])
try:
    sqs.get_queue_url(QueueName='missing')
except botocore.exceptions.ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
sqs.tag_queue(QueueUrl=url, Tags={'team': 'py'})
out['tags'] = sqs.list_queue_tags(QueueUrl=url).get('Tags')
print(json.dumps(out))

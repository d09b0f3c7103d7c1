# Drives the SNS face with Debian's python3-boto3 (the query protocol: form requests, XML replies)
# and prints what it saw as one JSON line for test/face/sns-query.test.ts to check.
import json
import sys

import boto3
import botocore

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name='eu-west-1', aws_access_key_id='test', aws_secret_access_key='test')
sns = boto3.client('sns', **kw)
sqs = boto3.client('sqs', **kw)
out = {'botocore': botocore.__version__, 'protocol': sns.meta.service_model.protocol}
topic = sns.create_topic(Name='py-topic', Attributes={'DisplayName': 'Py'}, Tags=[{'Key': 'team', 'Value': 'py'}])['TopicArn']
out['topic'] = topic
queue = sqs.create_queue(QueueName='py-sub')['QueueUrl']
queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
sub = sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=queue_arn,
                    Attributes={'FilterPolicy': json.dumps({'n': [{'numeric': ['>=', 2]}]})},
                    ReturnSubscriptionArn=True)['SubscriptionArn']
out['subscription'] = sub
out['subscription_attrs'] = sns.get_subscription_attributes(SubscriptionArn=sub)['Attributes']
out['topic_attrs'] = sns.get_topic_attributes(TopicArn=topic)['Attributes']
sns.publish(TopicArn=topic, Message='small', MessageAttributes={'n': {'DataType': 'Number', 'StringValue': '1'}})
sent = sns.publish(TopicArn=topic, Message='big <&>', Subject='hi',
                   MessageAttributes={'n': {'DataType': 'Number', 'StringValue': '3'}})
out['sent'] = sent['MessageId']
batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
    {'Id': 'a', 'Message': 'batched', 'MessageAttributes': {'n': {'DataType': 'Number', 'StringValue': '5'}}},
    {'Id': 'b', 'Message': ''}])
out['batch'] = {'ok': [e['Id'] for e in batch.get('Successful', [])],
                'failed': [[e['Id'], e['Code']] for e in batch.get('Failed', [])]}
got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get('Messages', [])
out['received'] = [json.loads(m['Body']) for m in got]
out['topics'] = [t['TopicArn'] for t in sns.list_topics()['Topics']]
out['subscriptions'] = [s['SubscriptionArn'] for s in sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']]
out['tags'] = sns.list_tags_for_resource(ResourceArn=topic)['Tags']
try:
    sns.get_topic_attributes(TopicArn='arn:aws:sns:eu-west-1:000000000000:missing')
except botocore.exceptions.ClientError as e:
    out['error'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
sns.unsubscribe(SubscriptionArn=sub)
sns.delete_topic(TopicArn=topic)
out['after'] = [t['TopicArn'] for t in sns.list_topics()['Topics']]
print(json.dumps(out))

"""Wire tests: real boto3 / aws CLI clients against aws_test_server (the AWS endpoint over a fake service layer).

Runs under pytest (Debian's /usr/bin/python3, boto3 1.26: CloudWatch over the query protocol) and as a plain
script (`python3 test_wire.py`, for an interpreter without pytest such as the machine's newer python with boto3
1.43, where CloudWatch speaks Smithy RPC v2 CBOR). Under pytest, test_newer_client_generation re-runs this file
with `python3` from PATH when that is a different interpreter with boto3.

The server binary comes from $STRATUS_AWS_TEST_SERVER (CTest sets it) or build-aws/tests/aws_test_server.
"""
import base64
import copy
import datetime
import gzip
import hashlib
import hmac
import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.error
import urllib.request

import boto3
import botocore
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ACCESS_KEY = 'AKIDSTRATUSTEST'
SECRET = 'stratus-test-secret'
REGION = 'us-east-1'
T0 = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
EPOCH0 = 1714564800


class Server:
    """aws_test_server on an ephemeral loopback port, stopped at teardown."""

    def __init__(self, *extra_args):
        binary = os.environ.get('STRATUS_AWS_TEST_SERVER', os.path.join(ROOT, 'build-aws', 'tests', 'aws_test_server'))
        self.log = tempfile.TemporaryFile()  # server log lines; a pipe nobody reads could fill and stall it
        self.proc = subprocess.Popen([binary, '--port', '0', '--access-key', ACCESS_KEY, '--secret', SECRET] +
                                     list(extra_args), stdout=subprocess.PIPE, stderr=self.log)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline().decode() if ready else ''
        if not line.startswith('listening on '):
            self.stop()
            raise RuntimeError('aws_test_server did not start: %r' % line)
        self.port = int(line.split()[-1])
        self.url = 'http://127.0.0.1:%d' % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()

    def canned(self, service, operation, output=None, error=None):
        body = {'error': error} if error else {'output': output or {}}
        req = urllib.request.Request('%s/__control/canned?service=%s&operation=%s' % (self.url, service, operation),
                                     data=json.dumps(body).encode(), method='POST')
        urllib.request.urlopen(req, timeout=10).read()

    def last(self):
        return json.loads(urllib.request.urlopen(self.url + '/__control/last', timeout=10).read())


_server = None


def server():
    global _server
    if _server is None:
        _server = Server()
    return _server


def teardown_module(module=None):
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def botocore_session(protocol=None):
    """A botocore session; with `protocol`, CloudWatch's model is forced to that protocol (json, query, cbor)."""
    session = botocore.session.get_session()
    if protocol:
        with open(os.path.join(ROOT, 'data', 'aws-models', 'cloudwatch.json')) as f:
            model = json.load(f)
        model['metadata']['protocol'] = protocol
        model['metadata']['protocols'] = [protocol]
        tmp = tempfile.mkdtemp(prefix='stratus-aws-model-')
        atexit.register(shutil.rmtree, tmp, True)  # the session reads the model lazily: remove it at exit
        os.makedirs(os.path.join(tmp, 'cloudwatch', '2010-08-01'))
        with open(os.path.join(tmp, 'cloudwatch', '2010-08-01', 'service-2.json'), 'w') as f:
            json.dump(model, f)
        session.get_component('data_loader').search_paths.insert(0, tmp)
    return session


def client(service, protocol=None, secret=SECRET, key=ACCESS_KEY, validate=True):
    """A boto3 client for the test server; validate=False lets invalid input through to the server's checks."""
    session = boto3.session.Session(botocore_session=botocore_session(protocol), aws_access_key_id=key,
                                    aws_secret_access_key=secret, region_name=REGION)
    cfg = Config(retries={'max_attempts': 1}, connect_timeout=10, read_timeout=30, parameter_validation=validate)
    return session.client(service, endpoint_url=server().url, config=cfg)


def expect_client_error(fn, code, status=None):
    try:
        fn()
    except ClientError as e:
        assert e.response['Error']['Code'] == code, e.response
        if status is not None:
            assert e.response['ResponseMetadata']['HTTPStatusCode'] == status, e.response
        return e
    raise AssertionError('expected %s' % code)


def supports_protocol(name):
    return name in getattr(botocore.serialize, 'SERIALIZERS', {})


# ---- EC2 (ec2 protocol) ----

INSTANCE = {
    'InstanceId': 'i-0123456789abcdef0', 'ImageId': 'ami-0123456789abcdef0', 'InstanceType': 't3.nano',
    'State': {'Code': 16, 'Name': 'running'}, 'LaunchTime': EPOCH0, 'PrivateIpAddress': '10.0.0.5',
    'Tags': [{'Key': 'Name', 'Value': 'web <1>'}], 'EbsOptimized': False,
}


def test_ec2_run_instances():
    s = server()
    s.canned('ec2', 'RunInstances', {'ReservationId': 'r-1', 'OwnerId': '123456789012',
                                     'Instances': [dict(INSTANCE, State={'Code': 0, 'Name': 'pending'})]})
    out = client('ec2').run_instances(
        ImageId='ami-0123456789abcdef0', MinCount=1, MaxCount=2, InstanceType='t3.nano',
        UserData='#!/bin/sh\necho hi\n', ClientToken='tok-1', SecurityGroupIds=['sg-1', 'sg-2'],
        TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'web'}]}])
    last = s.last()
    assert last['service'] == 'ec2' and last['operation'] == 'RunInstances' and last['protocol'] == 'ec2'
    assert last['region'] == REGION and last['access_key_id'] == ACCESS_KEY
    inp = last['input']
    assert inp['MinCount'] == 1 and inp['MaxCount'] == 2
    assert base64.b64decode(inp['UserData']) == b'#!/bin/sh\necho hi\n'  # botocore base64-encodes UserData
    assert inp['TagSpecifications'] == [{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': 'web'}]}]
    assert inp['SecurityGroupIds'] == ['sg-1', 'sg-2'] and inp['ClientToken'] == 'tok-1'
    inst = out['Instances'][0]
    assert out['ReservationId'] == 'r-1'
    assert inst['InstanceId'] == INSTANCE['InstanceId'] and inst['State'] == {'Code': 0, 'Name': 'pending'}
    assert inst['LaunchTime'] == T0
    assert inst['Tags'] == [{'Key': 'Name', 'Value': 'web <1>'}] and inst['EbsOptimized'] is False
    assert out['ResponseMetadata']['RequestId'] == last['request_id']


def test_ec2_describe_instances_filters_and_waiter():
    s = server()
    s.canned('ec2', 'DescribeInstances', {'Reservations': [{'ReservationId': 'r-1', 'Instances': [INSTANCE]}],
                                          'NextToken': 'page-2'})
    ec2 = client('ec2')
    out = ec2.describe_instances(Filters=[{'Name': 'tag:Name', 'Values': ['web', 'db']},
                                          {'Name': 'instance-state-name', 'Values': ['running']}], MaxResults=5)
    assert s.last()['input'] == {'Filters': [{'Name': 'tag:Name', 'Values': ['web', 'db']},
                                             {'Name': 'instance-state-name', 'Values': ['running']}],
                                 'MaxResults': 5}
    assert out['NextToken'] == 'page-2'
    assert out['Reservations'][0]['Instances'][0]['PrivateIpAddress'] == '10.0.0.5'
    ec2.get_waiter('instance_running').wait(InstanceIds=[INSTANCE['InstanceId']],
                                            WaiterConfig={'Delay': 1, 'MaxAttempts': 2})
    assert s.last()['input']['InstanceIds'] == [INSTANCE['InstanceId']]


def test_ec2_errors_and_no_output():
    s = server()
    s.canned('ec2', 'StopInstances', error={'code': 'InvalidInstanceID.NotFound',
                                            'message': "The instance ID 'i-9' does not exist", 'status': 400})
    ec2 = client('ec2')
    e = expect_client_error(lambda: ec2.stop_instances(InstanceIds=['i-9']), 'InvalidInstanceID.NotFound', 400)
    assert "'i-9'" in e.response['Error']['Message']
    ec2.create_tags(Resources=['i-1'], Tags=[{'Key': 'env', 'Value': 'prod'}])
    assert s.last()['input'] == {'Resources': ['i-1'], 'Tags': [{'Key': 'env', 'Value': 'prod'}]}
    expect_client_error(lambda: ec2.terminate_instances(InstanceIds=[]), 'MissingParameter', 400)
    expect_client_error(lambda: ec2.terminate_instances(InstanceIds=['i-1'], DryRun=True), 'DryRunOperation', 412)


# ---- ELBv2 and Auto Scaling (query protocol) ----

def test_elbv2():
    s = server()
    tg_arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef'
    s.canned('elasticloadbalancing', 'CreateTargetGroup', {'TargetGroups': [{
        'TargetGroupArn': tg_arn, 'TargetGroupName': 'web', 'Protocol': 'HTTP', 'Port': 80,
        'HealthCheckIntervalSeconds': 5, 'Matcher': {'HttpCode': '200-299'}, 'LoadBalancerArns': []}]})
    elb = client('elbv2')
    out = elb.create_target_group(Name='web', Protocol='HTTP', Port=80, VpcId='vpc-1', HealthCheckPath='/health',
                                  HealthCheckIntervalSeconds=5, Matcher={'HttpCode': '200-299'},
                                  Tags=[{'Key': 'team', 'Value': 'a'}])
    inp = s.last()['input']
    assert inp['Port'] == 80 and inp['Matcher'] == {'HttpCode': '200-299'}
    assert inp['Tags'] == [{'Key': 'team', 'Value': 'a'}] and inp['HealthCheckPath'] == '/health'
    tg = out['TargetGroups'][0]
    assert tg['TargetGroupArn'] == tg_arn and tg['HealthCheckIntervalSeconds'] == 5 and tg['LoadBalancerArns'] == []

    elb.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {'Key': 'stickiness.enabled', 'Value': 'true'}, {'Key': 'deregistration_delay.timeout_seconds', 'Value': '5'}])
    assert s.last()['input']['Attributes'][1] == {'Key': 'deregistration_delay.timeout_seconds', 'Value': '5'}

    s.canned('elasticloadbalancing', 'DescribeTargetHealth', {'TargetHealthDescriptions': [
        {'Target': {'Id': 'i-1', 'Port': 80}, 'HealthCheckPort': '80', 'TargetHealth': {'State': 'healthy'}}]})
    health = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[{'Id': 'i-1', 'Port': 80}])
    assert health['TargetHealthDescriptions'][0]['TargetHealth']['State'] == 'healthy'
    assert s.last()['input'] == {'TargetGroupArn': tg_arn, 'Targets': [{'Id': 'i-1', 'Port': 80}]}
    elb.get_waiter('target_in_service').wait(TargetGroupArn=tg_arn, WaiterConfig={'Delay': 1, 'MaxAttempts': 2})

    s.canned('elasticloadbalancing', 'DescribeLoadBalancers', error={
        'code': 'LoadBalancerNotFound', 'message': 'One or more load balancers not found', 'status': 400})
    expect_client_error(lambda: elb.describe_load_balancers(Names=['nope']), 'LoadBalancerNotFound', 400)
    lax = client('elbv2', validate=False)
    expect_client_error(lambda: lax.describe_target_health(Targets=[]), 'ValidationError', 400)


def test_autoscaling():
    s = server()
    asg = client('autoscaling')
    asg.create_auto_scaling_group(
        AutoScalingGroupName='web', MinSize=1, MaxSize=4, DesiredCapacity=2,
        LaunchTemplate={'LaunchTemplateId': 'lt-1', 'Version': '$Latest'}, VPCZoneIdentifier='subnet-1,subnet-2',
        TargetGroupARNs=['arn:tg'], HealthCheckType='ELB', HealthCheckGracePeriod=30,
        Tags=[{'Key': 'Name', 'Value': 'web', 'PropagateAtLaunch': True}])
    inp = s.last()['input']
    assert inp['MinSize'] == 1 and inp['DesiredCapacity'] == 2
    assert inp['LaunchTemplate'] == {'LaunchTemplateId': 'lt-1', 'Version': '$Latest'}
    assert inp['Tags'] == [{'Key': 'Name', 'Value': 'web', 'PropagateAtLaunch': True}]
    assert inp['TargetGroupARNs'] == ['arn:tg']

    s.canned('autoscaling', 'PutScalingPolicy', {'PolicyARN': 'arn:policy', 'Alarms': [
        {'AlarmName': 'TargetTracking-web-AlarmHigh', 'AlarmARN': 'arn:alarm:high'},
        {'AlarmName': 'TargetTracking-web-AlarmLow', 'AlarmARN': 'arn:alarm:low'}]})
    pol = asg.put_scaling_policy(AutoScalingGroupName='web', PolicyName='cpu50', PolicyType='TargetTrackingScaling',
                                 TargetTrackingConfiguration={'PredefinedMetricSpecification': {
                                     'PredefinedMetricType': 'ASGAverageCPUUtilization'}, 'TargetValue': 50.0})
    assert s.last()['input']['TargetTrackingConfiguration']['TargetValue'] == 50.0
    assert pol['PolicyARN'] == 'arn:policy' and [a['AlarmName'] for a in pol['Alarms']] == [
        'TargetTracking-web-AlarmHigh', 'TargetTracking-web-AlarmLow']

    s.canned('autoscaling', 'DescribeAutoScalingGroups', {'AutoScalingGroups': [{
        'AutoScalingGroupName': 'web', 'MinSize': 1, 'MaxSize': 4, 'DesiredCapacity': 2, 'DefaultCooldown': 300,
        'AvailabilityZones': ['local-1a'], 'HealthCheckType': 'ELB', 'CreatedTime': '2024-05-01T12:00:00Z',
        'Instances': [{'InstanceId': 'i-1', 'AvailabilityZone': 'local-1a', 'LifecycleState': 'InService',
                       'HealthStatus': 'Healthy', 'ProtectedFromScaleIn': False}]}]})
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=['web'])['AutoScalingGroups']
    assert groups[0]['CreatedTime'] == T0 and groups[0]['Instances'][0]['LifecycleState'] == 'InService'
    assert s.last()['input'] == {'AutoScalingGroupNames': ['web']}
    lax = client('autoscaling', validate=False)
    expect_client_error(lambda: lax.delete_policy(PolicyName=''), 'ValidationError', 400)
    expect_client_error(lambda: lax.set_desired_capacity(AutoScalingGroupName='web', DesiredCapacity='two'),
                        'ValidationError', 400)


# ---- CloudWatch (query / awsJson1_0 / RPC v2 CBOR) ----

def cloudwatch_round_trip(cw, lax, protocol_name):
    s = server()
    t = T0 + datetime.timedelta(milliseconds=250)
    cw.put_metric_data(Namespace='App', MetricData=[
        {'MetricName': 'Latency', 'Dimensions': [{'Name': 'Host', 'Value': 'a'}], 'Timestamp': t,
         'Value': 1.5, 'Unit': 'Milliseconds'},
        {'MetricName': 'Hist', 'Values': [1.0, 2.5], 'Counts': [3.0, 1.0], 'StorageResolution': 1}])
    last = s.last()
    assert last['service'] == 'monitoring' and last['protocol'] == protocol_name, last
    md = last['input']['MetricData']
    # query clients send milliseconds; botocore's json/cbor serializers send whole epoch seconds.
    assert md[0]['Timestamp'] in (EPOCH0 + 0.25, EPOCH0) and md[0]['Value'] == 1.5
    assert md[0]['Dimensions'] == [{'Name': 'Host', 'Value': 'a'}]
    assert md[1]['Values'] == [1.0, 2.5] and md[1]['StorageResolution'] == 1

    if 'EntityMetricData' in cw.meta.service_model.operation_model('PutMetricData').input_shape.members:
        cw.put_metric_data(Namespace='App', EntityMetricData=[{
            'Entity': {'KeyAttributes': {'Type': 'Service', 'Name': 'web'}},
            'MetricData': [{'MetricName': 'Requests', 'Value': 1.0}]}])
        entity = s.last()['input']['EntityMetricData'][0]
        assert entity['Entity']['KeyAttributes'] == {'Type': 'Service', 'Name': 'web'}, entity  # an input map

    s.canned('monitoring', 'GetMetricStatistics', {'Label': 'Latency', 'Datapoints': [
        {'Timestamp': EPOCH0, 'Average': 1.5, 'Maximum': 2.0, 'SampleCount': 3.0, 'Unit': 'Milliseconds',
         'ExtendedStatistics': {'p99': 2.5, 'p50': 1.0}}]})
    stats = cw.get_metric_statistics(Namespace='App', MetricName='Latency', StartTime=T0,
                                     EndTime=T0 + datetime.timedelta(hours=1), Period=60,
                                     Statistics=['Average', 'Maximum'])
    inp = s.last()['input']
    assert inp['StartTime'] == EPOCH0 and inp['EndTime'] == EPOCH0 + 3600 and inp['Period'] == 60
    assert inp['Statistics'] == ['Average', 'Maximum']
    dp = stats['Datapoints'][0]
    assert dp['Timestamp'] == T0 and dp['Average'] == 1.5 and dp['Unit'] == 'Milliseconds'
    assert dp['ExtendedStatistics'] == {'p99': 2.5, 'p50': 1.0}  # an output map

    s.canned('monitoring', 'GetMetricWidgetImage', {'MetricWidgetImage': 'PNG\x01\x02data'})
    image = cw.get_metric_widget_image(MetricWidget='{}')['MetricWidgetImage']
    assert image == b'PNG\x01\x02data', image  # a blob: base64 (XML, JSON) or a byte string (CBOR)

    s.canned('monitoring', 'DescribeAlarms', {'MetricAlarms': [{
        'AlarmName': 'cpu-high', 'StateValue': 'ALARM', 'Threshold': 70.0, 'EvaluationPeriods': 3,
        'ComparisonOperator': 'GreaterThanThreshold', 'StateUpdatedTimestamp': EPOCH0, 'ActionsEnabled': True,
        'AlarmActions': ['arn:policy'], 'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': 'web'}]}]})
    alarms = cw.describe_alarms(AlarmNames=['cpu-high'], StateValue='ALARM')['MetricAlarms']
    assert alarms[0]['Threshold'] == 70.0 and alarms[0]['StateUpdatedTimestamp'] == T0
    assert alarms[0]['AlarmActions'] == ['arn:policy'] and alarms[0]['ActionsEnabled'] is True
    assert s.last()['input'] == {'AlarmNames': ['cpu-high'], 'StateValue': 'ALARM'}

    s.canned('monitoring', 'SetAlarmState', error={'code': 'ResourceNotFound', 'message': 'alarm nope', 'status': 404})
    expect_client_error(lambda: cw.set_alarm_state(AlarmName='nope', StateValue='OK', StateReason='x'),
                        'ResourceNotFound', 404)
    expect_client_error(lambda: lax.put_metric_data(Namespace='App', MetricData=[{'Value': 1.0}]),
                        'MissingParameter', 400)


def default_cloudwatch_protocol():
    """The protocol this botocore speaks to CloudWatch: query (1.29), json (1.43: json ranks above cbor)."""
    model = botocore.session.get_session().get_service_model('cloudwatch')
    protocol = getattr(model, 'resolved_protocol', model.protocol)
    return {'query': 'query', 'json': 'json', 'smithy-rpc-v2-cbor': 'cbor'}[protocol]


def test_cloudwatch_default_protocol():
    cloudwatch_round_trip(client('cloudwatch'), client('cloudwatch', validate=False), default_cloudwatch_protocol())


def test_cloudwatch_forced_protocols():
    for wire, name in (('query', 'query'), ('json', 'json'), ('smithy-rpc-v2-cbor', 'cbor')):
        if supports_protocol(wire):
            cloudwatch_round_trip(client('cloudwatch', protocol=wire),
                                  client('cloudwatch', protocol=wire, validate=False), name)


def test_cloudwatch_large_put_metric_data():
    # botocore >= 1.31 gzips PutMetricData bodies over 10 KiB (Content-Encoding: gzip).
    data = [{'MetricName': 'm%d' % i, 'Value': float(i), 'Dimensions': [{'Name': 'Host', 'Value': 'host-%d' % i}]}
            for i in range(400)]
    client('cloudwatch').put_metric_data(Namespace='Bulk', MetricData=data)
    md = server().last()['input']['MetricData']
    assert len(md) == 400 and md[399]['Value'] == 399.0


# ---- Signatures, raw requests ----

def sign(method, body, service, secret=SECRET, when=None, headers=None):
    """A minimal independent SigV4 signer (form POST to /)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime('%Y%m%dT%H%M%SZ')
    host = '127.0.0.1:%d' % server().port
    hdrs = {'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'host': host, 'x-amz-date': amz_date}
    hdrs.update(headers or {})
    names = sorted(hdrs)
    canonical = '\n'.join([method, '/', '', ''.join('%s:%s\n' % (n, hdrs[n]) for n in names), ';'.join(names),
                           hashlib.sha256(body.encode()).hexdigest()])
    scope = '%s/%s/%s/aws4_request' % (amz_date[:8], REGION, service)
    sts = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ('AWS4' + secret).encode()
    for part in (amz_date[:8], REGION, service, 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    hdrs['authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        ACCESS_KEY, scope, ';'.join(names), sig)
    return hdrs


def raw(body, headers):
    headers = {k: v for k, v in headers.items() if k != 'host'}
    req = urllib.request.Request(server().url + '/', data=body.encode(), headers=headers, method='POST')
    try:
        resp = urllib.request.urlopen(req, timeout=10)
        return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_raw_signed_request_and_unknown_action():
    body = 'Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=a'
    status, text = raw(body, sign('POST', body, 'monitoring'))
    assert status == 200 and '<DescribeAlarmsResponse' in text, text
    body = 'Action=LaunchRockets&Version=2011-01-01'
    status, text = raw(body, sign('POST', body, 'autoscaling'))
    assert status == 400 and '<Code>InvalidAction</Code>' in text and 'LaunchRockets' in text, text


def test_signature_errors():
    body = 'Action=DescribeLoadBalancers&Version=2015-12-01'
    status, text = raw(body + '&Names.member.1=x', sign('POST', body, 'elasticloadbalancing'))
    assert status == 403 and '<Code>SignatureDoesNotMatch</Code>' in text, text  # tampered body
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, text = raw(body, sign('POST', body, 'elasticloadbalancing', when=stale))
    assert status == 403 and '<Code>SignatureDoesNotMatch</Code>' in text and 'expired' in text, text
    ec2_body = 'Action=DescribeRegions&Version=2016-11-15'
    status, text = raw(ec2_body, sign('POST', ec2_body, 'ec2', when=stale))
    assert status == 400 and '<Code>RequestExpired</Code>' in text, text
    status, text = raw(body, {'content-type': 'application/x-www-form-urlencoded'})
    assert status == 403 and '<Code>MissingAuthenticationToken</Code>' in text, text
    expect_client_error(lambda: client('elbv2', secret='wrong').describe_load_balancers(), 'SignatureDoesNotMatch', 403)
    expect_client_error(lambda: client('ec2', secret='wrong').describe_regions(), 'AuthFailure', 401)
    expect_client_error(lambda: client('autoscaling', key='AKIDNOBODY').describe_policies(), 'InvalidClientTokenId', 403)
    expect_client_error(lambda: client('cloudwatch', secret='wrong').list_metrics(), 'SignatureDoesNotMatch', 403)


# ---- The aws CLI (both generations where installed) ----

def aws_cli_binaries():
    found = []
    for path in ('/usr/bin/aws', shutil.which('aws')):
        if path and os.path.exists(path) and os.path.realpath(path) not in [os.path.realpath(p) for p in found]:
            found.append(path)
    return found


def test_aws_cli():
    if os.environ.get('STRATUS_AWS_WIRE_NESTED'):
        return  # the outer run already drove every aws CLI on the machine
    s = server()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE='/dev/null', AWS_SHARED_CREDENTIALS_FILE='/dev/null', AWS_PAGER='')
    s.canned('ec2', 'DescribeInstances', {'Reservations': [{'ReservationId': 'r-1', 'Instances': [INSTANCE]}]})
    s.canned('monitoring', 'GetMetricStatistics', {'Label': 'CPU', 'Datapoints': [{'Timestamp': EPOCH0, 'Average': 3.0}]})
    for aws in aws_cli_binaries():
        run = lambda *args: subprocess.run([aws, '--endpoint-url', s.url, '--output', 'json'] + list(args), env=env,
                                           capture_output=True, text=True, timeout=120)
        r = run('ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=web')
        assert r.returncode == 0, (aws, r.stderr)
        assert json.loads(r.stdout)['Reservations'][0]['Instances'][0]['InstanceId'] == INSTANCE['InstanceId']
        assert s.last()['input']['Filters'] == [{'Name': 'tag:Name', 'Values': ['web']}]
        r = run('cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/EC2', '--metric-name', 'CPUUtilization',
                '--start-time', '2024-05-01T12:00:00Z', '--end-time', '2024-05-01T13:00:00Z', '--period', '60',
                '--statistics', 'Average')
        assert r.returncode == 0, (aws, r.stderr)
        assert json.loads(r.stdout)['Datapoints'][0]['Average'] == 3.0
        assert s.last()['input']['StartTime'] == EPOCH0
        r = run('ec2', 'run-instances', '--image-id', 'ami-1', '--count', '1', '--user-data', 'echo hi')
        assert r.returncode == 0, (aws, r.stderr)
        assert base64.b64decode(s.last()['input']['UserData']) == b'echo hi'


def test_aws_cli_with_state_dir_credentials():
    """The credentials file the endpoint creates works as AWS_SHARED_CREDENTIALS_FILE with --profile stratus."""
    if os.environ.get('STRATUS_AWS_WIRE_NESTED'):
        return
    with tempfile.TemporaryDirectory(prefix='stratus-aws-state-') as state:
        path = os.path.join(state, 'credentials')
        srv = Server('--credentials', path)
        try:
            assert oct(os.stat(path).st_mode & 0o777) == '0o600'
            env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=path, AWS_CONFIG_FILE='/dev/null', AWS_PAGER='')
            for k in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE'):
                env.pop(k, None)
            for aws in aws_cli_binaries():
                r = subprocess.run([aws, '--profile', 'stratus', '--endpoint-url', srv.url, '--region', 'local',
                                    '--output', 'json', 'ec2', 'describe-regions', '--region-names', 'local'],
                                   env=env, capture_output=True, text=True, timeout=120)
                assert r.returncode == 0, (aws, r.stderr)
                last = srv.last()
                assert last['access_key_id'].startswith('AKIA') and last['region'] == 'local', last
                assert last['input'] == {'RegionNames': ['local']}
        finally:
            srv.stop()


# ---- Both client generations ----

def test_newer_client_generation():
    """Re-runs this file with `python3` from PATH when it is another interpreter with boto3 (e.g. boto3 1.43)."""
    if os.environ.get('STRATUS_AWS_WIRE_NESTED'):
        return
    other = shutil.which('python3')
    if not other or os.path.realpath(other) == os.path.realpath(sys.executable):
        return
    probe = subprocess.run([other, '-c', 'import boto3'], capture_output=True, timeout=60)
    if probe.returncode != 0:
        return
    env = dict(os.environ, STRATUS_AWS_WIRE_NESTED='1')
    r = subprocess.run([other, os.path.abspath(__file__)], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def main():
    failed = 0
    print('boto3 %s, botocore %s, cloudwatch over %s' % (boto3.__version__, botocore.__version__,
                                                         default_cloudwatch_protocol()))
    try:
        for name, fn in sorted(globals().items()):
            if not name.startswith('test_') or not callable(fn):
                continue
            try:
                fn()
                print('ok   %s' % name)
            except Exception:  # noqa: BLE001 - report every failure, keep going
                failed += 1
                print('FAIL %s\n%s' % (name, traceback.format_exc()))
    finally:
        teardown_module()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

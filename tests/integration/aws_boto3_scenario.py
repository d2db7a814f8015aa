"""The boto3 half of the AWS end-to-end scenario, run by test_aws_e2e.py under each Python that has boto3 (Debian's
python3-boto3 1.26 and the machine python's 1.43), so both client generations are driven against one stratusd.

    python3 aws_boto3_scenario.py ENDPOINT CREDENTIALS_FILE TAG
prints one JSON object with what the calls returned; the test asserts on it."""
import base64
import json
import os
import sys
import time

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError


def main():
    endpoint, creds_file, tag = sys.argv[1:4]
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = creds_file
    session = boto3.Session(profile_name="stratus", region_name="local")
    cfg = Config(retries={"max_attempts": 1})
    ec2 = session.client("ec2", endpoint_url=endpoint, config=cfg)
    cw = session.client("cloudwatch", endpoint_url=endpoint, config=cfg)
    out = {"boto3": boto3.__version__, "botocore": botocore.__version__}

    image = ec2.describe_images(Filters=[{"Name": "name", "Values": ["demo-web"]}])["Images"][0]["ImageId"]
    user_data = "#!/bin/sh\necho boto3-" + tag + " > /tmp/hello\n"
    r = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=user_data,
                          ClientToken="tok-" + tag,
                          TagSpecifications=[{"ResourceType": "instance",
                                              "Tags": [{"Key": "gen", "Value": tag}, {"Key": "Name", "Value": "b"}]}])
    iid = r["Instances"][0]["InstanceId"]
    again = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken="tok-" + tag)
    out["idempotent"] = again["Instances"][0]["InstanceId"] == iid
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    d = ec2.describe_instances(Filters=[{"Name": "tag:gen", "Values": [tag]},
                                        {"Name": "instance-state-name", "Values": ["running"]}])
    inst = [i for res in d["Reservations"] for i in res["Instances"]]
    out["described"] = [{"id": i["InstanceId"], "state": i["State"]["Name"], "type": i["InstanceType"],
                         "ip": i.get("PrivateIpAddress"), "tags": {t["Key"]: t["Value"] for t in i["Tags"]},
                         "launch_time_type": type(i["LaunchTime"]).__name__} for i in inst]
    page = ec2.describe_instances(MaxResults=5)
    out["page_has_reservations"] = "Reservations" in page
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "extra", "Value": "1"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]}])["Tags"]
    out["tags_after_create"] = sorted(t["Key"] for t in tags)
    ec2.delete_tags(Resources=[iid], Tags=[{"Key": "extra"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]}])["Tags"]
    out["tags_after_delete"] = sorted(t["Key"] for t in tags)
    out["console_type"] = type(ec2.get_console_output(InstanceId=iid).get("Output", "")).__name__

    img = ec2.create_image(InstanceId=iid, Name="img-" + tag)["ImageId"]
    ec2.get_waiter("image_available").wait(ImageIds=[img], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    out["image_state"] = ec2.describe_images(ImageIds=[img])["Images"][0]["State"]
    ec2.deregister_image(ImageId=img)

    try:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
        out["missing_error"] = None
    except ClientError as e:
        out["missing_error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]

    # A wrong secret: EC2 answers AuthFailure (401), the query services SignatureDoesNotMatch (403); nothing changes.
    bad_session = boto3.Session(aws_access_key_id=session.get_credentials().access_key,
                                aws_secret_access_key="wrong" * 8, region_name="local")
    bad = bad_session.client("ec2", endpoint_url=endpoint, config=cfg)
    bad_elb = bad_session.client("elbv2", endpoint_url=endpoint, config=cfg)
    elb = session.client("elbv2", endpoint_url=endpoint, config=cfg)
    before = len([i for res in ec2.describe_instances()["Reservations"] for i in res["Instances"]])
    try:
        bad.run_instances(ImageId=image, MinCount=1, MaxCount=1)
        out["bad_secret_error"] = None
    except ClientError as e:
        out["bad_secret_error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    after = len([i for res in ec2.describe_instances()["Reservations"] for i in res["Instances"]])
    try:
        bad_elb.create_target_group(Name="bad-" + tag, Protocol="HTTP", Port=80)
        out["bad_secret_elb_error"] = None
    except ClientError as e:
        out["bad_secret_elb_error"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    names = [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]]
    out["bad_secret_changed_nothing"] = before == after and "bad-" + tag not in names

    try:
        now = time.time()
        cw.put_metric_data(Namespace="E2E/" + tag, MetricData=[{"MetricName": "Latency", "Value": v, "Unit": "Milliseconds",
                                                                 "Dimensions": [{"Name": "gen", "Value": tag}]}
                                                                for v in (10.0, 20.0, 30.0)])
        stats = cw.get_metric_statistics(Namespace="E2E/" + tag, MetricName="Latency",
                                         Dimensions=[{"Name": "gen", "Value": tag}], StartTime=now - 120,
                                         EndTime=now + 120, Period=60, Statistics=["Average", "SampleCount", "Maximum"])
        out["metric_datapoints"] = [{k: v for k, v in p.items() if k != "Timestamp"} for p in stats["Datapoints"]]
    except ClientError as e:
        out["metric_error"] = [e.response["Error"]["Code"], e.response["Error"].get("Message", "")]

    term = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    out["terminate"] = [term["PreviousState"]["Name"], term["CurrentState"]["Name"]]
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()

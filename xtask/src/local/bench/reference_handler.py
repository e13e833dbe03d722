"""The original design's Lambda, as the baseline `cargo xtask bench` measures
trailwatch against: Python 3, boto3 SNS client at init, a fixed alert format
(event name, user, source IP, time) published as one plain message."""
import json
import os

import boto3

sns = boto3.client("sns")
TOPIC_ARN = os.environ["TOPIC_ARN"]


def handler(event, context):
    detail = event.get("detail", {})
    identity = detail.get("userIdentity", {})
    message = {
        "eventName": detail.get("eventName"),
        "user": identity.get("arn"),
        "sourceIPAddress": detail.get("sourceIPAddress"),
        "eventTime": detail.get("eventTime"),
        "account": event.get("account"),
        "region": event.get("region"),
    }
    sns.publish(
        TopicArn=TOPIC_ARN,
        Subject="Security alert: %s" % detail.get("eventName"),
        Message=json.dumps(message, indent=2),
    )
    return {"published": True}

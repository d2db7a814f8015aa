#!/usr/bin/env python3
"""Writes the trimmed AWS service models Stratus embeds (data/aws-models/*.json).

Source: botocore's service-2.json models (Apache-2.0, see NOTICE). The trimmed copies drop documentation and
examples, keep every operation of elbv2, autoscaling and cloudwatch, and keep the EC2 and ACM operations listed below
with every shape they reach. Re-run after adding an operation:
    python3 data/aws-models/trim.py [--only STEM ...] [botocore-data-dir]
(--only rewrites just those files, so the others stay at the botocore version they were made from).
"""
import glob
import gzip
import json
import os
import sys

SERVICES = {  # file stem -> botocore directory
    'ec2': 'ec2/2016-11-15',
    'elbv2': 'elbv2/2015-12-01',
    'autoscaling': 'autoscaling/2011-01-01',
    'cloudwatch': 'cloudwatch/2010-08-01',
    'acm': 'acm/2015-12-08',
}

EC2_OPERATIONS = """
RunInstances DescribeInstances StartInstances StopInstances RebootInstances TerminateInstances
ModifyInstanceAttribute DescribeInstanceAttribute DescribeInstanceStatus GetConsoleOutput MonitorInstances
UnmonitorInstances CreateImage DescribeImages DeregisterImage RegisterImage CopyImage DescribeImageAttribute
ModifyImageAttribute CreateTags DeleteTags DescribeTags CreateLaunchTemplate CreateLaunchTemplateVersion
DescribeLaunchTemplates DescribeLaunchTemplateVersions ModifyLaunchTemplate DeleteLaunchTemplate
DeleteLaunchTemplateVersions GetLaunchTemplateData DescribeInstanceTypes DescribeInstanceTypeOfferings DescribeVpcs
CreateVpc DeleteVpc DescribeSubnets CreateSubnet DeleteSubnet DescribeAvailabilityZones DescribeRegions
DescribeAccountAttributes DescribeSecurityGroups CreateSecurityGroup DeleteSecurityGroup
AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress RevokeSecurityGroupEgress
DescribeSecurityGroupRules DescribeKeyPairs CreateKeyPair ImportKeyPair DeleteKeyPair DescribeVolumes CreateVolume
DeleteVolume AttachVolume DetachVolume DescribeSnapshots CreateSnapshot DeleteSnapshot DescribeNetworkInterfaces
DescribeAddresses GetPasswordData ModifyVpcAttribute DescribeVpcAttribute ModifySubnetAttribute
ModifyVolume DescribeVolumesModifications CopySnapshot
""".split()

# The certificate operations that ELB users call (imported certificates only: no RequestCertificate, no export).
ACM_OPERATIONS = """
ImportCertificate DescribeCertificate ListCertificates GetCertificate DeleteCertificate AddTagsToCertificate
RemoveTagsFromCertificate ListTagsForCertificate
""".split()

SUBSETS = {'ec2': EC2_OPERATIONS, 'acm': ACM_OPERATIONS}

DROP_KEYS = {'documentation', 'documentationUrl', 'deprecatedMessage', 'examples'}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in DROP_KEYS}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o


def reachable(model, ops):
    shapes = model['shapes']
    seen = set()
    stack = []
    for op in ops:
        o = model['operations'][op]
        for ref in [o.get('input'), o.get('output')] + o.get('errors', []):
            if ref:
                stack.append(ref['shape'])
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        s = shapes[name]
        refs = list(s.get('members', {}).values()) + [s[k] for k in ('member', 'key', 'value') if k in s]
        stack.extend(r['shape'] for r in refs)
    return seen


def load(data_dir, rel):
    base = os.path.join(data_dir, rel, 'service-2.json')
    if os.path.exists(base + '.gz'):
        with gzip.open(base + '.gz') as f:
            return json.load(f)
    with open(base) as f:
        return json.load(f)


def main():
    args = sys.argv[1:]
    only = []
    while len(args) >= 2 and args[0] == '--only':
        only.append(args[1])
        args = args[2:]
    if args:
        data_dir = args[0]
    else:
        import botocore
        data_dir = os.path.join(os.path.dirname(botocore.__file__), 'data')
    out_dir = os.path.dirname(os.path.abspath(__file__))
    for stem, rel in SERVICES.items():
        if only and stem not in only:
            continue
        model = load(data_dir, rel)
        if stem in SUBSETS:
            wanted = SUBSETS[stem]
            model['operations'] = {k: v for k, v in model['operations'].items() if k in wanted}
            missing = set(wanted) - set(model['operations'])
            if missing:
                sys.exit('unknown %s operations: %s' % (stem, ' '.join(sorted(missing))))
        keep = reachable(model, list(model['operations']))
        model['shapes'] = {k: v for k, v in model['shapes'].items() if k in keep}
        model = strip(model)
        path = os.path.join(out_dir, stem + '.json')
        with open(path, 'w') as f:
            json.dump(model, f, separators=(',', ':'), sort_keys=False)
            f.write('\n')
        print('%s: %d operations, %d shapes, %d bytes' % (
            path, len(model['operations']), len(model['shapes']), os.path.getsize(path)))


if __name__ == '__main__':
    main()

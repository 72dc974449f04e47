#!/usr/bin/env python3
"""Drives a running Scaleway API simulator with the official Scaleway Python SDK (`scaleway`).

It starts nothing: it reads SCW_API_URL, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID and
SCW_DEFAULT_ORGANIZATION_ID from the environment (as printed by `scaleway-sim`), prints each
step, and exits non-zero at the first failure. See scripts/run_official_sdk_check.sh.
"""

import os
import sys
import time
import traceback

from scaleway import Client
from scaleway.account.v3 import AccountV3ProjectAPI
from scaleway.block.v1 import BlockV1API, CreateVolumeRequestFromEmpty
from scaleway.instance.v1.custom_api import InstanceUtilsV1API
from scaleway.instance.v1 import (
    AttachServerVolumeRequestVolumeType,
    SecurityGroupPolicy,
    SecurityGroupTemplate,
    SecurityGroupRuleAction,
    SecurityGroupRuleDirection,
    SecurityGroupRuleProtocol,
    ServerAction,
    SetSecurityGroupRulesRequestRule,
)
from scaleway.marketplace.v2 import MarketplaceV2API
from scaleway.vpc.v2 import VpcV2API

ZONE = "fr-par-1"
REGION = "fr-par"
TIMEOUT = float(os.environ.get("SIM_CHECK_TIMEOUT", "120"))


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def step(name):
    print(f"[step] {name}", flush=True)


def ok(detail=""):
    print(f"  ok {detail}".rstrip(), flush=True)


def wait_state(instance, server_id, state):
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        server = instance.get_server(zone=ZONE, server_id=server_id).server
        current = f"{server.state}/{server.state_detail}"
        if not seen or seen[-1] != current:
            seen.append(current)
        if server.state == state:
            return server, seen
        time.sleep(0.2)
    raise CheckFailed(f"server {server_id} did not reach {state} in {TIMEOUT}s (seen {seen})")


def wait_volume(block, volume_id, status):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        volume = block.get_volume(zone=ZONE, volume_id=volume_id)
        if volume.status == status:
            return volume
        time.sleep(0.2)
    raise CheckFailed(f"volume {volume_id} did not become {status}")


def wait_reference(block, volume_id, status):
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        volume = block.get_volume(zone=ZONE, volume_id=volume_id)
        current = [str(r.status) for r in volume.references]
        if not seen or seen[-1] != current:
            seen.append(current)
        if current == ([status] if status else []):
            return volume, seen
        time.sleep(0.05)
    raise CheckFailed(f"volume {volume_id} reference never became {status} (seen {seen})")


def main():
    for key in ("SCW_API_URL", "SCW_SECRET_KEY", "SCW_DEFAULT_PROJECT_ID", "SCW_DEFAULT_ORGANIZATION_ID"):
        if not os.environ.get(key):
            print(f"missing environment variable {key}", file=sys.stderr)
            return 2
    os.environ.setdefault("SCW_DEFAULT_ZONE", ZONE)
    os.environ.setdefault("SCW_DEFAULT_REGION", REGION)
    client = Client.from_env()
    # The SDK wants an access key; the simulator only checks the secret key.
    client.access_key = client.access_key or "SCWXXXXXXXXXXXXXXXXX"
    project = os.environ["SCW_DEFAULT_PROJECT_ID"]
    organization = os.environ["SCW_DEFAULT_ORGANIZATION_ID"]

    instance = InstanceUtilsV1API(client)
    block = BlockV1API(client)
    vpc = VpcV2API(client)
    account = AccountV3ProjectAPI(client)
    marketplace = MarketplaceV2API(client)

    step("list projects")
    projects = account.list_projects(organization_id=organization)
    ids = [p.id for p in projects.projects]
    expect(project in ids, f"default project {project} not in {ids}")
    ok(f"{projects.total_count} project(s)")

    step("local image by label (ubuntu_noble, instance_sbs, PRO2-XXS)")
    images = marketplace.list_local_images(image_label="ubuntu_noble", zone=ZONE, type_="instance_sbs")
    image = next(i for i in images.local_images if "PRO2-XXS" in i.compatible_commercial_types)
    expect(image.label == "ubuntu_noble", f"label {image.label}")
    ok(f"{image.id} ({image.type_}, {image.arch})")

    step("create server (stopped)")
    created = instance.create_server(
        zone=ZONE, name="sdk-check", commercial_type="PRO2-XXS", image=image.id, project=project, tags=["sdk-check"]
    )
    server = created.server
    expect(server.state == "stopped", f"state {server.state}")
    expect(server.allowed_actions == ["poweron", "backup"], f"allowed_actions {server.allowed_actions}")
    root_id = server.volumes["0"].id
    ok(f"{server.id}, root volume {root_id}")

    step("set cloud-init user data")
    cloud_init = b"#cloud-config\npackages:\n  - nginx\n"
    instance.set_server_user_data(server_id=server.id, key="cloud-init", content=cloud_init, zone=ZONE)
    keys = instance.list_server_user_data(zone=ZONE, server_id=server.id).user_data
    expect(keys == ["cloud-init"], f"user_data keys {keys}")
    value = instance.get_server_user_data(server_id=server.id, key="cloud-init", zone=ZONE).content
    expect(value == cloud_init, f"user_data value {value!r}")
    ok()

    step("private network and NIC")
    pn = vpc.create_private_network(
        region=REGION, name="sdk-check-pn", project_id=project, default_route_propagation_enabled=False
    )
    expect(len(pn.subnets) == 2, f"subnets {pn.subnets}")
    nic = instance.create_private_nic(zone=ZONE, server_id=server.id, private_network_id=pn.id).private_nic
    expect(nic.state == "available", f"NIC state on a stopped server: {nic.state}")
    ok(f"pn {pn.id} ({pn.subnets[0].subnet}), nic {nic.id}")

    step("security group and rules")
    sg = instance.create_security_group(
        zone=ZONE,
        name="sdk-check-sg",
        description="sdk check",
        project=project,
        stateful=True,
        inbound_default_policy=SecurityGroupPolicy.DROP,
        outbound_default_policy=SecurityGroupPolicy.ACCEPT,
    ).security_group
    rule = instance.create_security_group_rule(
        zone=ZONE,
        security_group_id=sg.id,
        protocol=SecurityGroupRuleProtocol.TCP,
        direction=SecurityGroupRuleDirection.INBOUND,
        action=SecurityGroupRuleAction.ACCEPT,
        ip_range="203.0.113.7/32",
        dest_port_from=22,
        dest_port_to=22,
        position=1,
        editable=True,
    ).rule
    expect(rule.ip_range == "203.0.113.7", f"ip_range not normalised: {rule.ip_range}")
    expect(rule.dest_port_to is None, f"dest_port_to not normalised: {rule.dest_port_to}")
    rules = instance.set_security_group_rules(
        zone=ZONE,
        security_group_id=sg.id,
        rules=[
            SetSecurityGroupRulesRequestRule(
                action=SecurityGroupRuleAction.ACCEPT,
                protocol=SecurityGroupRuleProtocol.TCP,
                direction=SecurityGroupRuleDirection.INBOUND,
                ip_range="0.0.0.0/0",
                position=1,
                dest_port_from=443,
                dest_port_to=None,
                editable=True,
            ),
            SetSecurityGroupRulesRequestRule(
                action=SecurityGroupRuleAction.ACCEPT,
                protocol=SecurityGroupRuleProtocol.TCP,
                direction=SecurityGroupRuleDirection.INBOUND,
                ip_range="0.0.0.0/0",
                position=2,
                dest_port_from=80,
                dest_port_to=None,
                editable=True,
            ),
        ],
    ).rules
    user_rules = [r for r in rules if r.editable]
    expect([r.dest_port_from for r in user_rules] == [443, 80], f"rules after PUT {user_rules}")
    listed = instance.list_security_group_rules(zone=ZONE, security_group_id=sg.id).rules
    expect(len(listed) == len(rules), f"{len(listed)} rules listed, {len(rules)} set")
    instance._update_server(zone=ZONE, server_id=server.id, security_group=SecurityGroupTemplate(id=sg.id, name=sg.name))
    expect(instance.get_server(zone=ZONE, server_id=server.id).server.security_group.id == sg.id, "security group")
    ok(f"{sg.id} with {len(user_rules)} user rules and {len(rules) - len(user_rules)} default rules")

    step("block volume: create")
    volume = block.create_volume(
        zone=ZONE,
        name="sdk-check-data",
        perf_iops=15000,
        project_id=project,
        from_empty=CreateVolumeRequestFromEmpty(size=20_000_000_000),
    )
    expect(volume.type_ == "sbs_15k", f"type {volume.type_}")
    volume = wait_volume(block, volume.id, "available")
    ok(f"{volume.id} {volume.status}")

    step("block volume: attach")
    attached = instance.attach_server_volume(
        zone=ZONE,
        server_id=server.id,
        volume_id=volume.id,
        volume_type=AttachServerVolumeRequestVolumeType.SBS_VOLUME,
    ).server
    expect(any(v.id == volume.id for v in attached.volumes.values()), "volume not in the server's volumes")
    # The server accepts no action until the attachment settles.
    volume, seen = wait_reference(block, volume.id, "attached")
    expect(volume.status == "in_use", f"status {volume.status}")
    expect(volume.references[0].product_resource_id == server.id, "reference")
    ok(f"references {seen}")

    step("power on, wait running")
    task = instance.server_action(zone=ZONE, server_id=server.id, action=ServerAction.POWERON).task
    expect(task.status == "pending", f"task {task.status}")
    running, seen = wait_state(instance, server.id, "running")
    expect(running.public_ip is not None and running.public_ip.address, "no public IP after poweron")
    ok(f"states {seen}, public IP {running.public_ip.address}")

    step("block volume: detach")
    detached = instance.detach_server_volume(zone=ZONE, server_id=server.id, volume_id=volume.id).server
    expect(all(v.id != volume.id for v in detached.volumes.values()), "volume still attached")
    volume = wait_volume(block, volume.id, "available")
    expect(volume.references == [], f"references {volume.references}")
    ok()

    step("block volume: delete")
    block.delete_volume(zone=ZONE, volume_id=volume.id)
    ok()

    step("power off, wait stopped")
    instance.server_action(zone=ZONE, server_id=server.id, action=ServerAction.POWEROFF)
    _, seen = wait_state(instance, server.id, "stopped")
    ok(f"states {seen}")

    step("delete NIC, private network, server, root volume, security group")
    instance.delete_private_nic(zone=ZONE, server_id=server.id, private_nic_id=nic.id)
    vpc.delete_private_network(region=REGION, private_network_id=pn.id)
    instance.delete_server(zone=ZONE, server_id=server.id)
    # The root volume outlives the server: detaching for a few seconds, then available.
    root, seen = wait_reference(block, root_id, None)
    expect(root.status == "available", f"root volume after server delete: {root.status}")
    block.delete_volume(zone=ZONE, volume_id=root_id)
    instance.delete_security_group(zone=ZONE, security_group_id=sg.id)
    ok(f"root volume references {seen}")

    print("official SDK check: all steps passed", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - any failure fails the check
        traceback.print_exc()
        print("official SDK check: FAILED", file=sys.stderr, flush=True)
        sys.exit(1)

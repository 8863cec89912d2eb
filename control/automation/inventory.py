"""Ansible's JSON inventory (`--list`: groups with hosts and children, `_meta.hostvars`) from the hosts the
service knows: the cloud hosts delivered for cloud requests (a delivered item of a virtual-machine line, or one
not tied to a line, whose address is an IP address or a host name), for requests being delivered or in use.
Groups: `dept_<code>` per department, `zone_<zone>` per extranet zone, `net_<network>` per network the system
runs on and `pn_<id>` per private network it belongs to. Classified systems never appear, nor their hosts."""
from __future__ import annotations

import ipaddress
import re

from sqlalchemy import select
from sqlmodel import Session

from control.cloud.enums import HOLDING_STATUSES, LineKind
from control.cloud.models import CloudRequest, DeliveredItem, ResourceLine
from control.core.accounts import Department
from control.networks.models import NetworkSystem
from control.systems.models import InformationSystem

HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                      r"[A-Za-z0-9])?)*")


def host_address(address: str | None) -> str | None:
    """The IP address or host name a delivered item's address holds ("10.1.2.3", "10.1.2.3:22", "app01.gx"),
    or None for free text Ansible could not reach."""
    text = (address or "").strip()
    candidate = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return candidate if HOSTNAME.fullmatch(candidate) else None


def group_name(prefix: str, value: object) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', str(value))}"


def build_inventory(session: Session) -> dict:
    rows = session.execute(
        select(DeliveredItem, CloudRequest.id, CloudRequest.zone, Department.code, InformationSystem)
        .join(CloudRequest, CloudRequest.id == DeliveredItem.request_id)
        .join(Department, Department.id == CloudRequest.department_id)
        .outerjoin(ResourceLine, ResourceLine.id == DeliveredItem.line_id)
        .outerjoin(InformationSystem, InformationSystem.id == CloudRequest.system_id)
        .where(CloudRequest.status.in_(HOLDING_STATUSES),
               (ResourceLine.kind == LineKind.vm) | DeliveredItem.line_id.is_(None),
               InformationSystem.is_classified.is_not(True))
        .order_by(DeliveredItem.id)).all()
    system_ids = {system.id for *_, system in rows if system is not None}
    private: dict[int, list[int]] = {}
    for network_id, system_id in session.execute(select(NetworkSystem.network_id, NetworkSystem.system_id)
                                                 .where(NetworkSystem.system_id.in_(system_ids))).all():
        private.setdefault(system_id, []).append(network_id)
    groups: dict[str, set[str]] = {}
    hostvars: dict[str, dict] = {}
    for item, request_id, zone, dept_code, system in rows:
        host = host_address(item.address)
        if host is None or host in hostvars:
            continue
        hostvars[host] = {"ansible_host": host, "yz_item": item.name, "yz_request_id": request_id,
                          "yz_department": dept_code, "yz_zone": zone.value,
                          **({"yz_system_code": system.code, "yz_system_id": system.id} if system else {})}
        names = [group_name("dept", dept_code), group_name("zone", zone.value)]
        if system is not None:
            names += [group_name("net", n) for n in system.networks]
            names += [group_name("pn", n) for n in private.get(system.id, [])]
        for name in names:
            groups.setdefault(name, set()).add(host)
    inventory: dict = {name: {"hosts": sorted(hosts)} for name, hosts in sorted(groups.items())}
    inventory["all"] = {"children": ["ungrouped", *sorted(groups)]}
    inventory["ungrouped"] = {"hosts": []}
    inventory["_meta"] = {"hostvars": hostvars}
    return inventory


def classified_hosts(session: Session) -> set[str]:
    """The hosts delivered for classified systems: a change naming one is refused with the classified reason
    (they are left out of the inventory, so otherwise it would only read "unknown host")."""
    rows = session.execute(select(DeliveredItem.address)
                           .join(CloudRequest, CloudRequest.id == DeliveredItem.request_id)
                           .join(InformationSystem, InformationSystem.id == CloudRequest.system_id)
                           .where(InformationSystem.is_classified.is_(True))).scalars()
    return {host for host in map(host_address, rows) if host}

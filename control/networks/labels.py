"""What people call the fields, states and actions of private networks, registered in core's label
registry at start."""
from __future__ import annotations

from control.core import labels
from control.networks.enums import NetworkState

LINE: dict[str, labels.Label] = {
    "carrier": ("运营商", "Carrier"), "count": ("线路条数", "Lines"),
    "bandwidth_mbps": ("带宽（Mbps）", "Bandwidth (Mbps)"), "yearly_rent": ("年租金（万元）", "Yearly rent (10k CNY)"),
}
NETWORK: dict[str, labels.Label] = {
    "department_id": ("所属部门", "Department"), "name": ("专网名称", "Network name"),
    "purpose": ("用途", "Purpose"), "fiscal_funded": ("财政资金建设", "Built with fiscal money"),
    "sites": ("站点", "Sites"), "state": ("状态", "State"), "connected_on": ("联通日期", "Connected on"),
    "migrating_on": ("开始迁移日期", "Migration started on"), "outcome_on": ("撤并改日期", "Outcome date"),
    "outcome_note": ("撤并改说明", "Outcome note"), "lines": ("运营商线路", "Carrier lines"),
    "system_ids": ("承载的信息系统", "Systems on the network"), "network_id": ("业务专网", "Private network"),
    "system_id": ("信息系统", "Information system"), "is_classified": ("涉密网络", "Classified network"),
    "on": ("日期", "Date"), "note": ("说明", "Note"), "comment": ("说明", "Comment"), "reason": ("原因", "Reason"),
    "yearly_rent_total": ("年租金合计（万元）", "Yearly rent total (10k CNY)"),
    **LINE,
}


def install() -> None:
    labels.register("private_network", NETWORK, enums={"state": NetworkState},
                    routes=("/api/v1/private-networks", "/networks"), nested={"lines": "private_network_line"})
    labels.register("private_network_line", LINE)

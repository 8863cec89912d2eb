"""Private-network enumerations (业务专网), stable English values with zh-CN labels."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class NetworkState(LabeledEnum):
    """in_use → connected → migrating → withdrawn / merged / converted (撤 / 并 / 改: three outcomes)."""
    in_use = ("in_use", "在用", "In use", "使用中")
    connected = ("connected", "已联通", "Connected", "联通", "已连通")
    migrating = ("migrating", "迁移中", "Migrating", "迁移")
    withdrawn = ("withdrawn", "已撤销", "Withdrawn", "撤销", "撤")
    merged = ("merged", "已合并", "Merged", "合并", "并")
    converted = ("converted", "已改造", "Converted", "改造", "改")


OUTCOMES = (NetworkState.withdrawn, NetworkState.merged, NetworkState.converted)

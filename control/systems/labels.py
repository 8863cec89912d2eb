"""What people call the fields of information systems, registered in core's label registry at start:
the census fields (control/systems/fields.py) and the few kept outside the census form."""
from __future__ import annotations

from control.core import labels
from control.systems.enums import SharingDirection, SharingMethod, SystemKind
from control.systems.fields import CENSUS_FIELDS

OTHER: dict[str, labels.Label] = {
    "department_id": ("所属部门", "Department"), "kind": ("系统类型", "Kind"),
    "user_count_varies": ("用户数量不固定", "User count varies"), "replaced_by_id": ("替代系统", "Replaced by"),
    "sharing": ("信息资源共享", "Sharing"), "system_id": ("信息系统", "Information system"),
    "direction": ("共享方向", "Direction"),
    "resource_name": ("资源名称", "Resource name"), "counterpart": ("对方部门", "Counterpart"),
    "method": ("共享方式", "Method"), "method_note": ("共享方式说明", "Method note"),
    "comment": ("说明", "Comment"),
}


def install() -> None:
    labels.register("system", {**OTHER, **{f.name: (f.zh, f.en) for f in CENSUS_FIELDS}},
                    enums={"kind": SystemKind, "direction": SharingDirection, "method": SharingMethod,
                           **{f.name: f.enum for f in CENSUS_FIELDS if f.enum is not None}},
                    routes=("/api/v1/systems", "/systems"), nested={"sharing": "system"})

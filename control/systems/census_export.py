"""Export of any filtered list of systems in the census template's layout: importing the file again
changes nothing. Every row goes through textsafe.xlsx_row: no control character can break the file and
a name starting with = stays text, not a live formula."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from control.core.auth import Actor
from control.core.textsafe import xlsx_row
from control.systems import cells
from control.systems.census_layout import fields_of
from control.systems.census_template import new_workbook, save
from control.systems.fields import CensusField
from control.systems.models import InformationSystem, SystemSharing
from control.systems.service import SystemFilter, iter_systems


def cell_value(system: InformationSystem, f: CensusField) -> Any:
    """A field as the import reads it back unchanged (labels for choices, 是/否, 不固定)."""
    value = getattr(system, f.name)
    if f.name == "user_count" and system.user_count_varies:
        return "不固定"
    if value is None or value == []:
        return None
    if f.type == "bool":
        return cells.format_bool(value)
    if f.type == "multienum":
        return cells.format_multi(value, f.enum)
    if f.type == "enum":
        return f.enum(value).zh
    if f.type == "decimal":
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def export_workbook(session: Session, actor: Actor, f: SystemFilter) -> bytes:
    """The filtered list in the template's layout. Classified systems are never exported by name: they are
    left out and the instructions sheet says how many."""
    rows = iter_systems(session, actor, f)
    shown = [(s, d) for s, d in rows if not s.is_classified]
    wb, sheets, sharing = new_workbook(len(rows) - len(shown))
    for system, dept in shown:
        ws = sheets[system.kind]
        ws.append(xlsx_row(ws, [dept.name, dept.code] + [cell_value(system, fd) for fd in fields_of(system.kind)]))
    by_id = {s.id: (s, d) for s, d in shown}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        stmt = (select(SystemSharing).where(SystemSharing.system_id.in_(ids[start:start + 500]))
                .order_by(SystemSharing.system_id, SystemSharing.direction, SystemSharing.id))
        for line in session.execute(stmt).scalars():
            system, dept = by_id[line.system_id]
            sharing.append(xlsx_row(sharing, [dept.name, dept.code, system.name, line.direction.zh,
                                              line.resource_name, line.counterpart,
                                              line.method.zh if line.method else None]))
    return save(wb)


"""REST: private networks (业务专网) and their state changes."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from control.core import classified
from control.core.accounts import Level
from control.core.deps import CurrentActor, SessionDep
from control.core.params import Id, Offset, SearchText
from control.networks import service
from control.networks.enums import NetworkState
from control.networks.schemas import ActionIn, NetworkCreate, NetworkList, NetworkOut, NetworkRemoved, NetworkUpdate
from control.networks.service import NetworkFilter

router = APIRouter(prefix="/api/v1/private-networks", tags=["private networks"])


def network_filter(department_id: Id | None = None, state: NetworkState | None = None, fiscal: bool | None = None,
                   q: SearchText | None = None, region: SearchText | None = None,
                   level: Level | None = None) -> NetworkFilter:
    """`department_id`: that department and those under it; `fiscal`: built with fiscal money or not;
    `region` / `level`: of the network's own department (`region=-`: no region code recorded), as the
    progress board's region and level rows count."""
    return NetworkFilter(department_id=department_id, state=state, fiscal=fiscal, q=q, region=region,
                         level=level.value if level else None)


@router.get("", response_model=NetworkList)
def list_networks(session: SessionDep, actor: CurrentActor, f: Annotated[NetworkFilter, Depends(network_filter)],
                  limit: int = Query(50, ge=1, le=500), offset: Offset = 0):
    items, total = service.list_networks(session, actor, f, limit, offset)
    return NetworkList(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=NetworkOut, status_code=201)
def create_network(session: SessionDep, actor: CurrentActor, data: NetworkCreate):
    """A classified network (`is_classified: true`) is refused with 422 and nothing about it is stored."""
    return service.detail(session, service.create_network(session, actor, data))


@router.get("/{network_id:int}", response_model=NetworkOut)
def get_network(session: SessionDep, actor: CurrentActor, network_id: Id):
    return service.detail(session, service.get_network(session, actor, network_id))


@router.patch("/{network_id:int}", response_model=NetworkOut | NetworkRemoved)
def update_network(session: SessionDep, actor: CurrentActor, network_id: Id, data: NetworkUpdate):
    """`is_classified: true` removes the network (with its lines, systems and places in plans) and answers
    `{id, removed, detail}`; nothing else the request carries is stored."""
    network = service.update_network(session, actor, network_id, data)
    if network is None:
        return NetworkRemoved(id=network_id, detail=classified.REFUSAL)
    return service.detail(session, network)


@router.post("/{network_id:int}/{action}", response_model=NetworkOut)
def act(session: SessionDep, actor: CurrentActor, network_id: Id, action: str, body: ActionIn | None = None):
    """State changes: connect, migrate, withdraw, merge, convert (the last three need a note); 409 with the
    reason when the state does not allow the action."""
    return service.detail(session, service.act(session, actor, network_id, action, body or ActionIn()))

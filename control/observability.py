"""/metrics: prometheus-client collectors that read the database at scrape time."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlmodel import Session

from control.systems.enums import SystemStatus
from control.systems.models import InformationSystem

router = APIRouter(include_in_schema=False)


class InventoryCollector:
    """Systems by status, every status initialised to 0 so alerts see absent series as zero."""

    def __init__(self, engine):  # noqa: ANN001
        self.engine = engine

    def collect(self):  # noqa: ANN201
        with Session(self.engine) as session:
            rows = dict(session.execute(
                select(InformationSystem.status, func.count()).where(InformationSystem.deleted_at.is_(None))
                .group_by(InformationSystem.status)).all())
        family = GaugeMetricFamily("yunzhang_information_systems", "Information systems in the inventory by status",
                                   labels=["status"])
        for status in SystemStatus:
            family.add_metric([status.value], rows.get(status, rows.get(status.value, 0)))
        yield family


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry()
        registry.register(InventoryCollector(request.app.state.engine))
        request.app.state.metrics_registry = registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

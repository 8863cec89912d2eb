"""/metrics: prometheus-client collectors that read the database at scrape time. Labelled series are
initialised to 0 so alerts see an absent problem as zero, not as no data."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlmodel import Session

from control.automation.metrics import automation_metrics
from control.cloud.service import STAGE_KINDS, sla_counts
from control.core.accounts import Department
from control.core.clock import SHANGHAI, today
from control.core.jobs import Outcome
from control.core.stages import OPEN_SLA_STATES
from control.devices.service import metric_figures as device_figures
from control.migration import board as migration_board
from control.migration.enums import PlanKind, SystemState
from control.networks.enums import NetworkState
from control.networks.service import state_counts as network_state_counts
from control.scheduled import JOB_LOCK_IDS, LAST_SUCCESS, RUNS
from control.systems.enums import SystemStatus
from control.systems.models import InformationSystem
from control.zombies.enums import CaseState
from control.zombies.service import last_scan
from control.zombies.service import state_counts as zombie_state_counts

router = APIRouter(include_in_schema=False)


class DatabaseCollector:
    """Everything /metrics reads from the database, in one session per scrape."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        with Session(self.app.state.engine) as session:
            yield from self._inventory(session)
            yield from self._cloud(session)
            yield from self._calendar(session)
            yield from self._zombies(session)
            yield from self._networks(session)
            yield from self._migration(session)
            yield from self._devices(session)
            yield from automation_metrics(session)
        jobs = GaugeMetricFamily("yunzhang_job_last_success_timestamp_seconds",
                                 "Last successful run of a periodic job", labels=["job"])
        for job, ts in sorted(LAST_SUCCESS.items()):
            jobs.add_metric([job], ts)
        yield jobs
        # What this process did at each tick: with replicas, one of them ran a period, the others say elsewhere.
        runs = CounterMetricFamily("yunzhang_job_runs", "Ticks of a periodic job in this process, by outcome",
                                   labels=["job", "outcome"])
        for job in JOB_LOCK_IDS:
            for outcome in (o for o in Outcome if o not in (Outcome.running, Outcome.abandoned)):
                runs.add_metric([job, outcome.value], RUNS[job, outcome])
        yield runs

    def _inventory(self, session: Session):
        rows = {SystemStatus(s).value: n for s, n in session.execute(
            select(InformationSystem.status, func.count()).where(InformationSystem.deleted_at.is_(None))
            .group_by(InformationSystem.status)).all()}
        family = GaugeMetricFamily("yunzhang_information_systems", "Information systems in the inventory by status",
                                   labels=["status"])
        for status in SystemStatus:
            family.add_metric([status.value], rows.get(status.value, 0))
        yield family

    def _cloud(self, session: Session):
        counts, worst = sla_counts(session)
        requests = GaugeMetricFamily("yunzhang_cloud_requests", "Open cloud request stages by stage and SLA state",
                                     labels=["stage", "sla_state"])
        overdue = GaugeMetricFamily("yunzhang_cloud_request_overdue_working_days",
                                    "Working days the most overdue open request of a stage is late",
                                    labels=["stage"])
        for stage in STAGE_KINDS:
            for state in OPEN_SLA_STATES:
                requests.add_metric([stage, state.value], counts.get((stage, state.value), 0))
            overdue.add_metric([stage], worst.get(stage, 0))
        yield requests
        yield overdue

    def _zombies(self, session: Session):
        counts = zombie_state_counts(session)
        family = GaugeMetricFamily("yunzhang_zombie_systems", "Zombie-system review cases by department code and state",
                                   labels=["department", "state"])
        codes = sorted({code for code, _ in counts} or
                       set(session.execute(select(Department.code).where(Department.active)).scalars()))
        for code in codes:
            for state in [*(s.value for s in CaseState), "needs_rereview"]:
                family.add_metric([code, state], counts.get((code, state), 0))
        yield family
        scan = last_scan(session)
        yield GaugeMetricFamily("yunzhang_zombie_scan_last_timestamp_seconds", "When the last zombie scan ran",
                                value=scan.started_at.replace(tzinfo=scan.started_at.tzinfo or UTC).timestamp()
                                if scan else 0)
        yield GaugeMetricFamily("yunzhang_zombie_scan_duration_seconds", "How long the last zombie scan took",
                                value=scan.duration_seconds if scan else 0)
        yield GaugeMetricFamily("yunzhang_zombie_scan_candidates", "Candidates found by the last zombie scan",
                                value=scan.candidates if scan else 0)

    def _networks(self, session: Session):
        counts = network_state_counts(session)
        family = GaugeMetricFamily("yunzhang_private_networks", "Private networks (业务专网) by state",
                                   labels=["state"])
        for state in NetworkState:
            family.add_metric([state.value], counts.get(state.value, 0))
        yield family

    def _migration(self, session: Session):
        plans, systems = migration_board.metric_counts(session, today())
        family = GaugeMetricFamily("yunzhang_migration_plans", "Migration plans by kind, stage and schedule",
                                   labels=["kind", "stage", "schedule"])
        for kind in PlanKind:
            for stage in migration_board.kind_stages(kind):
                for schedule in migration_board.SCHEDULES:
                    family.add_metric([kind.value, stage.value, schedule],
                                      plans.get((kind.value, stage.value, schedule), 0))
        yield family
        family = GaugeMetricFamily("yunzhang_migration_systems", "Systems of live cloud migration plans by state",
                                   labels=["state"])
        for state in SystemState:
            family.add_metric([state.value], systems.get(state.value, 0))
        yield family

    def _devices(self, session: Session):
        """By department code, not device name: a name per series would grow with the inventory, while the
        department is who is called about it. The backup time is the oldest last success of the department's
        devices (0: one never backed up), so `time() - it` alerts on any device left behind."""
        drifted, oldest = device_figures(session)
        family = GaugeMetricFamily("yunzhang_devices_drifted",
                                   "Devices whose running config changed outside yunzhang, by department code",
                                   labels=["department"])
        last = GaugeMetricFamily("yunzhang_device_backup_last_success_timestamp_seconds",
                                 "Oldest last successful config backup of a department's devices",
                                 labels=["department"])
        for code in sorted(drifted):
            family.add_metric([code], drifted[code])
            last.add_metric([code], oldest[code])
        yield family
        yield last

    def _calendar(self, session: Session):
        known = self.app.state.calendars.get(session).known_until()
        end = datetime.combine(known + timedelta(days=1), time.min, SHANGHAI)
        yield GaugeMetricFamily("yunzhang_calendar_known_until_timestamp_seconds",
                                "End of the last day whose working-day arrangement is known", value=end.timestamp())


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry()
        registry.register(DatabaseCollector(request.app))
        request.app.state.metrics_registry = registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

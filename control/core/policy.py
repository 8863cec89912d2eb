"""Policy: deadlines and thresholds as data (policy/*.yaml), loaded and validated at start."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from control.core.calendar import YearArrangement
from control.core.errors import ValidationFailed
from control.core.roles import Role

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
DEFAULT_POLICY = POLICY_DIR / "default.yaml"


class ReviewLevel(BaseModel):
    key: str = Field(pattern=r"^[a-z_]+$")
    name: str
    reviewer: Literal["own_department", "parent_department"]
    working_days: int | None = Field(default=None, ge=0, le=60)


class Stage(BaseModel):
    """A stage's deadline is either N working days from its start (review, approval) or, with
    `planned_date: true`, the date the item plans for it (connect, migrate, withdraw)."""
    name: str
    working_days: int | None = Field(default=None, ge=0, le=120)
    planned_date: bool = False

    @model_validator(mode="after")
    def _one_deadline(self) -> Stage:
        if (self.working_days is None) != self.planned_date:
            raise ValueError(f"环节“{self.name}”须给出 working_days（工作日时限）或 planned_date: true"
                             "（按计划日期），二者选一")
        return self


class ProcedurePolicy(BaseModel):
    """One procedure's stages as policy data (the shape of `cloud_requests:` and `migration_plans:`):
    the review levels inside the submitting department's chain, then named stages. A subclass names the
    subject its items go by in the stage table (control/core/workflow.py) and lists the stage keys its
    code relies on in REQUIRED_STAGES."""
    SUBJECT: ClassVar[str] = ""
    REQUIRED_STAGES: ClassVar[tuple[str, ...]] = ()
    review_levels: list[ReviewLevel] = []
    stages: dict[str, Stage] = {}
    due_soon_working_days: int = Field(default=1, ge=0, le=30)
    restart_clock_on_return: bool = True

    @model_validator(mode="after")
    def _required_stages(self) -> ProcedurePolicy:
        missing = [key for key in self.REQUIRED_STAGES if key not in self.stages]
        if missing:
            raise ValueError(f"缺少环节：{'、'.join(missing)}")
        return self

    def stage(self, key: str) -> Stage:
        return self.stages[key]


class CloudRequestPolicy(ProcedurePolicy):
    SUBJECT: ClassVar[str] = "cloud_request"
    REQUIRED_STAGES: ClassVar[tuple[str, ...]] = ("acceptance", "assessment", "delivery")


class MigrationPlanPolicy(ProcedurePolicy):
    """Both kinds of migration plan: review levels, the Bureau's approval in working days, then the planned
    stages (private network: connect, migrate, withdraw; cloud plan: migration)."""
    SUBJECT: ClassVar[str] = "migration_plan"
    REQUIRED_STAGES: ClassVar[tuple[str, ...]] = ("approval", "connect", "migrate", "withdraw", "migration")


class Toggle(BaseModel):
    enabled: bool = True


class BusinessDisconnected(Toggle):
    window_days: int = Field(90, ge=7, le=730)
    max_requests_per_day: float = Field(1, ge=0)
    min_share_of_days: float = Field(0.95, gt=0, le=1)


class Replaceable(Toggle):
    ngram: int = Field(2, ge=1, le=5)
    min_similarity: float = Field(0.8, gt=0, le=1)


class IdleResources(Toggle):
    window_days: int = Field(30, ge=7, le=730)
    max_cpu_p95: float = Field(0.05, ge=0, le=1)
    max_network_bytes: float = Field(5_000_000, ge=0)
    min_share_of_days: float = Field(0.9, gt=0, le=1)


class MaintenanceStopped(Toggle):
    window_days: int = Field(365, ge=30, le=1825)


class SmallScopeLowFrequency(Toggle):
    window_days: int = Field(90, ge=7, le=730)
    low_frequencies: list[str] = ["quarterly", "yearly", "on_demand"]
    max_active_users: float = Field(5, ge=0)
    min_share_of_days: float = Field(0.9, gt=0, le=1)


class ZombieCriteria(BaseModel):
    business_disconnected: BusinessDisconnected = BusinessDisconnected()
    replaceable: Replaceable = Replaceable()
    idle_resources: IdleResources = IdleResources()
    maintenance_stopped: MaintenanceStopped = MaintenanceStopped()
    small_scope_low_frequency: SmallScopeLowFrequency = SmallScopeLowFrequency()


class PrometheusSource(BaseModel):
    system_label: str = "system"
    queries: dict[str, str] = {}


class ZombiePolicy(BaseModel):
    min_coverage: float = Field(0.8, gt=0, le=1)
    criteria: ZombieCriteria = ZombieCriteria()
    prometheus: PrometheusSource = PrometheusSource()


class ChangeApprovers(BaseModel):
    """Who may approve each kind of automation change (never its author: control/core/duties.py)."""
    device: list[Role] = Field(default=[Role.infocenter, Role.bureau], min_length=1)
    playbook: list[Role] = Field(default=[Role.infocenter, Role.bureau], min_length=1)


class AutomationPolicy(BaseModel):
    approvers: ChangeApprovers = ChangeApprovers()


class Policy(BaseModel):
    jurisdiction: str
    cloud_requests: CloudRequestPolicy
    migration_plans: MigrationPlanPolicy
    zombies: ZombiePolicy = ZombiePolicy()
    automation: AutomationPolicy = AutomationPolicy()
    calendar_years: list[dict[str, Any]] = []
    source: str = ""

    def procedures(self) -> dict[str, ProcedurePolicy]:
        """Every procedure section (a ProcedurePolicy field), by the subject its items go by."""
        sections = (getattr(self, name) for name in type(self).model_fields)
        return {p.SUBJECT: p for p in sections if isinstance(p, ProcedurePolicy) and p.SUBJECT}

    def due_soon_margins(self) -> dict[str, int]:
        """The due-soon margin of each procedure's subject, for the hourly recompute."""
        return {subject: p.due_soon_working_days for subject, p in self.procedures().items()}

    def calendar_arrangements(self) -> list[YearArrangement]:
        return [YearArrangement.from_mapping(y, source=f"policy:{Path(self.source).name}")
                for y in self.calendar_years]


class PolicyError(RuntimeError):
    pass


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file; a bad file stops the service at start, not mid-request."""
    path = Path(path) if path else DEFAULT_POLICY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        policy = Policy.model_validate({**data, "source": str(path)})
        policy.calendar_arrangements()
    except (OSError, yaml.YAMLError, ValidationError, ValidationFailed) as exc:
        raise PolicyError(f"策略文件 {path} 无效：{exc}") from exc
    return policy


@lru_cache(maxsize=8)
def cached_policy(path: str) -> Policy:
    return load_policy(path or None)

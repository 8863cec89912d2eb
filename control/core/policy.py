"""Policy: deadlines and thresholds as data (policy/*.yaml), loaded and validated at start."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from control.core.calendar import YearArrangement
from control.core.errors import ValidationFailed

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
DEFAULT_POLICY = POLICY_DIR / "default.yaml"


class ReviewLevel(BaseModel):
    key: str = Field(pattern=r"^[a-z_]+$")
    name: str
    reviewer: Literal["own_department", "parent_department"]
    working_days: int | None = Field(default=None, ge=0, le=60)


class Stage(BaseModel):
    name: str
    working_days: int = Field(ge=0, le=120)


class CloudStages(BaseModel):
    acceptance: Stage
    assessment: Stage
    delivery: Stage


class CloudRequestPolicy(BaseModel):
    review_levels: list[ReviewLevel] = []
    stages: CloudStages
    due_soon_working_days: int = Field(default=1, ge=0, le=30)
    restart_clock_on_return: bool = True


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


class Policy(BaseModel):
    jurisdiction: str
    cloud_requests: CloudRequestPolicy
    zombies: ZombiePolicy = ZombiePolicy()
    calendar_years: list[dict[str, Any]] = []
    source: str = ""

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

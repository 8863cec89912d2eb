"""Policy: deadlines and thresholds as data (policy/*.yaml), loaded and validated at start."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from control.core.calendar import YearArrangement

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


class Policy(BaseModel):
    jurisdiction: str
    cloud_requests: CloudRequestPolicy
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
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise PolicyError(f"策略文件 {path} 无效：{exc}") from exc
    return policy


@lru_cache(maxsize=8)
def cached_policy(path: str) -> Policy:
    return load_policy(path or None)

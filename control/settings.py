"""Service settings. Every setting is an environment variable named YUNZHANG_*."""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUNZHANG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/yunzhang.db"
    # Signs session cookies and API tokens. When unset a random key is kept in var/secret_key
    # so that sessions survive a restart of a single instance; replicas must share one key.
    secret_key: str = ""
    var_dir: Path = Path("./var")
    token_ttl_seconds: int = 8 * 3600
    session_ttl_seconds: int = 12 * 3600
    # Login rate limit: at most this many failures per username (and per client) in the window.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    default_locale: str = "zh_CN"
    # Deadlines and thresholds: policy/default.yaml unless another jurisdiction's file is named.
    policy_file: str = ""
    # Hourly SLA recomputation and the other periodic jobs; tests turn it off and call the jobs.
    scheduler_enabled: bool = True
    # The Prometheus server usage metrics are pulled from (zombie detection); empty: no pull.
    prometheus_url: str = ""
    cookie_secure: bool = False

    # --- input validation (issue 11: no 5xx for any input) ---
    # Years a holiday arrangement may be added for; outside them a PUT is refused with 422.
    calendar_min_year: int = 2000
    calendar_max_year: int = 2100
    # Holiday periods and make-up working days one year's arrangement may hold.
    calendar_max_holidays: int = 60
    calendar_max_workdays: int = 30

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()

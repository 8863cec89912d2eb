"""Service settings. Every setting is an environment variable named YUNZHANG_*."""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from control.core.secrets import key_file, resolve_secret


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

    # --- Audit chain (issue 11, point 8) ---
    # Where the key signing the audit chain (HMAC-SHA256) lives: file:/path or env:VAR, never the key
    # itself. Unset: var_dir/audit_key, created on first use with mode 0600. Keep it off the database
    # host's backups: whoever holds both the database and the key can rewrite the log undetected.
    audit_key: str = ""
    # verify names at most this many broken entries (and counts all of them).
    audit_verify_max_problems: int = Field(100, ge=1, le=100_000)

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

    def resolved_audit_key(self) -> str:
        if self.audit_key:
            return resolve_secret(self.audit_key)
        return key_file(self.var_dir / "audit_key")


@lru_cache
def get_settings() -> Settings:
    return Settings()

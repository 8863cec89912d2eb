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

    # --- uploads, request bodies and the usage store (issue 11: uploads) ---
    # Request bodies: refused by Content-Length before any byte is read, and counted while they stream.
    max_body_bytes: int = 2 * 1024 * 1024             # JSON and form bodies
    max_upload_bytes: int = 64 * 1024 * 1024          # census and metrics file imports
    metrics_push_max_bytes: int = 16 * 1024 * 1024    # JSON samples (parsed whole: 100,000 samples ≈ 9 MB)
    # Multipart forms (Starlette's parser): fields, files, and the size of one non-file field.
    form_max_fields: int = 200
    form_max_files: int = 4
    form_max_part_bytes: int = 256 * 1024
    # Cloud request attachments (PDF, PNG, JPEG): refused while streaming past this size.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Metrics imports (CSV and JSON): rows, the length of one CSV line, the errors listed (all are counted).
    metrics_max_rows: int = 2_000_000
    metrics_max_line_chars: int = 512
    metrics_max_errors: int = 200
    # Days a metric value may carry: not older than this many days, nor later than this many days ahead.
    metrics_max_age_days: int = 3 * 366
    metrics_max_days_ahead: int = 1

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

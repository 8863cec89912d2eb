"""Service settings. Every setting is an environment variable named YUNZHANG_*."""
from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from control.core.db import PoolOptions
from control.core.secrets import key_file, resolve_secret

_POOL = PoolOptions()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUNZHANG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/yunzhang.db"
    # --- database connections, per process (control/core/db.py PoolOptions says why these defaults). On
    # PostgreSQL, max_connections must hold replicas × (pool size + overflow) plus the CLI and backups.
    db_pool_size: PositiveInt = _POOL.size
    db_max_overflow: NonNegativeInt = _POOL.max_overflow
    db_pool_timeout_seconds: PositiveFloat = _POOL.timeout
    db_pool_recycle_seconds: int = Field(_POOL.recycle, ge=-1)
    db_pool_pre_ping: bool = _POOL.pre_ping
    # PostgreSQL only: a statement running longer is cancelled (its request fails, the connection lives on);
    # 0 turns it off. The slowest statements of the province benchmarks take well under a second.
    db_statement_timeout_seconds: NonNegativeFloat = 30.0
    db_connect_timeout_seconds: NonNegativeInt = 5
    # Signs session cookies and API tokens. When unset a random key is kept in var/secret_key
    # so that sessions survive a restart of a single instance; replicas must share one key.
    secret_key: str = ""
    var_dir: Path = Path("./var")
    token_ttl_seconds: int = 8 * 3600
    # --- auth: sessions, login throttle, proxies, headers -----------------------------------------
    # A web session is a row in user_session (the cookie carries its token): it ends at logout, after
    # session_idle_seconds without a request, or session_ttl_seconds after sign-in, whichever is first.
    session_ttl_seconds: PositiveInt = 12 * 3600
    session_idle_seconds: PositiveInt = 2 * 3600
    # Login throttle (OWASP): failures in the window are counted per (username, address) pair, per
    # address and per username. Past each allowance the next try waits backoff·2^(failures over it)
    # seconds, at most backoff_max: a slow-down, so a stranger elsewhere cannot lock a user out.
    login_window_seconds: PositiveInt = 900
    login_max_failures: PositiveInt = 5                  # per (username, address)
    login_max_failures_per_client: PositiveInt = 30      # per address, whatever the usernames
    login_max_failures_per_user: PositiveInt = 500       # per username from everywhere (distributed guessing)
    login_backoff_seconds: PositiveInt = 30
    login_backoff_max_seconds: PositiveInt = 900
    # Reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDRs, comma-separated.
    # Empty: none, the peer address is the client.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        """Each entry must be an address or CIDR: uvicorn would silently ignore a mistyped one."""
        for item in filter(None, (part.strip() for part in value.split(","))):
            ipaddress.ip_network(item, strict=False)
        return value

    # Strict-Transport-Security max-age, sent only when cookie_secure (the service is behind HTTPS).
    hsts_seconds: PositiveInt = 365 * 86400
    # --- end auth ---------------------------------------------------------------------------------
    default_locale: str = "zh_CN"
    # Deadlines and thresholds: policy/default.yaml unless another jurisdiction's file is named.
    policy_file: str = ""
    # Hourly SLA recomputation and the other periodic jobs; tests turn it off and call the jobs.
    scheduler_enabled: bool = True
    # Once started, put what is alive (the imported libraries' 250,000 objects) out of the garbage collector's
    # reach (gc.freeze): every full collection walked them all, 130-230 ms inside one request in 25 of the
    # province-wide board. Off where one process starts many services (the tests): each start collects first.
    freeze_gc_at_start: bool = True
    # How often the SLA states are recomputed. Periods start at whole multiples of it from midnight (Beijing
    # time), the same instants on every replica, so that a period's run is one run across them all.
    sla_recompute_seconds: PositiveInt = 3600
    # At start, run every job for its current period unless a replica already has (the SLA recompute always
    # does): after downtime over 02:00 the zombie scan runs then, not a day late.
    scheduler_catch_up: bool = False
    # Automation runs (control/core/runs.py) executed at once by one process's worker pool: `yunzhang serve`
    # embeds one (0: none, leave the runs to `yunzhang worker` processes), `yunzhang worker` runs one.
    automation_workers: int = Field(default=4, ge=0, le=64)
    # Seconds a device session stays logged in after a change's step used it, so the next step of the same
    # change (check, the drift check before apply, apply) does not log in again; 0: close every session at once.
    device_session_keep_seconds: float = Field(default=30, ge=0, le=600)
    # The Prometheus server usage metrics are pulled from (zombie detection); empty: no pull.
    prometheus_url: str = ""
    cookie_secure: bool = False

    # --- Census workbook uploads (systems/census_read.py): what one upload can make the server hold.
    census_max_upload_bytes: int = 32 * 1024 * 1024         # the .xlsx as sent (413 past it)
    census_max_zip_entries: int = 1000                       # parts in the zip directory
    census_max_part_bytes: int = 256 * 1024 * 1024          # one part decompressed (declared and counted)
    census_max_total_bytes: int = 512 * 1024 * 1024         # all parts decompressed
    census_max_compression_ratio: int = 100                  # declared / compressed, parts over 1 MiB
    census_max_sheets: int = 50
    census_max_rows: int = 50_000                            # rows holding values, all sheets together
    census_max_columns: int = 200                            # filled columns on one row
    census_max_cell_chars: int = 32_767                      # Excel's own limit for one cell
    census_max_shared_strings: int = 1_000_000
    census_max_styles: int = 65_490                          # Excel's own limit of cell formats
    census_max_errors: int = 200                             # errors listed; the total is still counted

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

    # --- Audit chain (issue 11, point 8) ---
    # Where the key signing the audit chain (HMAC-SHA256) lives: file:/path or env:VAR, never the key
    # itself. Unset: var_dir/audit_key, created on first use with mode 0600. Keep it off the database
    # host's backups: whoever holds both the database and the key can rewrite the log undetected.
    audit_key: str = ""
    # verify names at most this many broken entries (and counts all of them).
    audit_verify_max_problems: int = Field(100, ge=1, le=100_000)

    # --- input validation (issue 11: no 5xx for any input) ---
    # Years a holiday arrangement may be added for; outside them a PUT is refused with 422.
    calendar_min_year: int = 2000
    calendar_max_year: int = 2100
    # Holiday periods and make-up working days one year's arrangement may hold.
    calendar_max_holidays: int = 60
    calendar_max_workdays: int = 30

    def pool_options(self) -> PoolOptions:
        return PoolOptions(size=self.db_pool_size, max_overflow=self.db_max_overflow,
                           timeout=self.db_pool_timeout_seconds, recycle=self.db_pool_recycle_seconds,
                           pre_ping=self.db_pool_pre_ping, statement_timeout=self.db_statement_timeout_seconds,
                           connect_timeout=self.db_connect_timeout_seconds)

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

"""Who is acting: password hashing (argon2), signed tokens, roles and department scope."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlmodel import Session

from control.core.accounts import Department, LoginFailure, User
from control.core.clock import now
from control.core.errors import Forbidden, NotAuthenticated, TooManyRequests
from control.core.roles import Role

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the username is unknown, so timing does not reveal which usernames exist. Made at
    the first such login, not at import: a hash costs ~0.1 s, which every `yunzhang` command paid at start."""
    return _hasher.hash("not-a-real-password")

READ_ALL_ROLES = {Role.admin, Role.bureau, Role.infocenter, Role.auditor, Role.ops}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Actor:
    """The acting user with the department subtree they may see (None: every department)."""
    id: int | None
    username: str
    role: Role
    department_id: int | None
    scope_path: str | None
    display_name: str = ""
    locale: str | None = None
    reviewer: bool = False
    department_name: str | None = None

    def has(self, *roles: Role) -> bool:
        return self.role in roles

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = "、".join(r.zh for r in roles)
            raise Forbidden(f"当前角色（{self.role.zh}）无权执行此操作，需要：{allowed}")

    def can_see_path(self, department_path: str) -> bool:
        return self.scope_path is None or department_path.startswith(self.scope_path)

    def check_department(self, department: Department) -> None:
        """Refuse work on a department outside the actor's subtree."""
        if not self.can_see_path(department.path):
            raise Forbidden(f"无权访问部门“{department.name}”：不在本单位及下级单位范围内")


SYSTEM_ACTOR = Actor(id=None, username="system", role=Role.admin, department_id=None, scope_path=None)


def actor_for(session: Session, user: User) -> Actor:
    scope = None
    dept = session.get(Department, user.department_id) if user.department_id else None
    if user.role == Role.department:
        # A department user with no department sees nothing rather than everything.
        scope = dept.path if dept else "/nowhere/"
    return Actor(id=user.id, username=user.username, role=user.role, department_id=user.department_id,
                 scope_path=scope, display_name=user.display_name or user.username, locale=user.locale,
                 reviewer=user.reviewer, department_name=dept.name if dept else None)


# --- login with throttle -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginThrottle:
    """Failures in the window are counted per (username, address) pair, per address and per username.
    Past an allowance the next try waits backoff·2^(failures over it) seconds, capped, after the last
    failure: an attacker at one address slows only themselves, never the user signing in elsewhere."""
    window_seconds: int
    per_pair: int
    per_client: int
    per_user: int
    backoff_seconds: int
    backoff_max_seconds: int

    @classmethod
    def from_settings(cls, settings) -> LoginThrottle:
        return cls(window_seconds=settings.login_window_seconds, per_pair=settings.login_max_failures,
                   per_client=settings.login_max_failures_per_client,
                   per_user=settings.login_max_failures_per_user, backoff_seconds=settings.login_backoff_seconds,
                   backoff_max_seconds=settings.login_backoff_max_seconds)

    def wait(self, failures: int, allowance: int) -> float:
        """Seconds to wait after the last of `failures` failures (0 within the allowance)."""
        if failures < allowance:
            return 0
        return min(self.backoff_seconds * 2.0 ** min(failures - allowance, 32), self.backoff_max_seconds)


def _check_throttle(session: Session, username: str, client: str, limits: LoginThrottle) -> None:
    """Refuse (429 with Retry-After) while any of the three counters is in its back-off."""
    at = now()
    since = at - timedelta(seconds=limits.window_seconds)
    retry = 0.0
    for condition, allowance in (((LoginFailure.username == username) & (LoginFailure.client == client),
                                  limits.per_pair),
                                 (LoginFailure.client == client, limits.per_client),
                                 (LoginFailure.username == username, limits.per_user)):
        count, last = session.execute(select(func.count(), func.max(LoginFailure.at))
                                      .where(LoginFailure.at >= since, condition)).one()
        wait = limits.wait(count, allowance)
        if wait and last is not None:
            last = last.replace(tzinfo=UTC) if last.tzinfo is None else last
            retry = max(retry, (last - at).total_seconds() + wait)
    if retry > 0:
        seconds = math.ceil(retry)
        raise TooManyRequests(f"登录失败次数过多，请 {seconds} 秒后再试",
                              headers={"Retry-After": str(seconds)})


def authenticate(session: Session, username: str, password: str, client: str, limits: LoginThrottle) -> User:
    """Check a password, unless the throttle says to wait first (then 429, password unchecked)."""
    name, client = username[:64], client[:64]  # as stored in login_failure
    _check_throttle(session, name, client, limits)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None or not user.active:
        # Failures older than the window no longer count: forget them here, so the table stays small.
        session.execute(delete(LoginFailure).where(LoginFailure.at < now() - timedelta(seconds=limits.window_seconds)))
        session.add(LoginFailure(username=name, client=client))
        session.commit()
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials")
    # Only this address's failures are forgiven: another address's attempts keep their back-off.
    session.execute(delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.client == client))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    session.commit()
    return user


def unlock(session: Session, username: str) -> int:
    """Forget every recorded failure of a username (all addresses), so its back-off ends now; returns how
    many were forgotten. An address's own counter over other usernames is left alone. The caller commits."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.username == username[:64]))
    return result.rowcount or 0


def recent_failures(session: Session, limits: LoginThrottle) -> dict[str, int]:
    """Failed logins per username within the throttle's window (for the users page's unlock button)."""
    since = now() - timedelta(seconds=limits.window_seconds)
    rows = session.execute(select(LoginFailure.username, func.count()).where(LoginFailure.at >= since)
                           .group_by(LoginFailure.username)).all()
    return {row[0]: row[1] for row in rows}


def check_current_password(session: Session, user: User, password: str, client: str, limits: LoginThrottle) -> None:
    """Confirm a signed-in user's current password (changing it), throttled and counted as a login is,
    so a borrowed session cannot be used to guess it."""
    name, client = user.username[:64], client[:64]
    _check_throttle(session, name, client, limits)
    if not verify_password(user.password_hash, password):
        session.add(LoginFailure(username=name, client=client))
        session.commit()
        raise Forbidden("当前密码不正确", code="wrong_password")


# --- tokens ------------------------------------------------------------------------------------------

class TokenSigner:
    """Stateless signed bearer tokens: user id + password-hash fingerprint, so a password change
    or a deactivated account invalidates every token already issued."""

    def __init__(self, secret: str, ttl_seconds: int):
        self._s = URLSafeTimedSerializer(secret, salt="yunzhang-api-token")
        self.ttl = ttl_seconds

    def issue(self, user: User) -> str:
        return self._s.dumps({"uid": user.id, "fp": user.password_hash[-16:]})

    def resolve(self, session: Session, token: str) -> User:
        try:
            data = self._s.loads(token, max_age=self.ttl)
        except SignatureExpired:
            raise NotAuthenticated("令牌已过期，请重新获取", code="token_expired") from None
        except BadSignature:
            raise NotAuthenticated("令牌无效", code="invalid_token") from None
        user = session.get(User, data.get("uid"))
        if user is None or not user.active or user.password_hash[-16:] != data.get("fp"):
            raise NotAuthenticated("令牌已失效", code="invalid_token")
        return user

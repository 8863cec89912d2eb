"""Who is acting: password hashing (argon2), signed tokens, roles and department scope."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
# Compared against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

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
    if user.role == Role.department:
        dept = session.get(Department, user.department_id) if user.department_id else None
        # A department user with no department sees nothing rather than everything.
        scope = dept.path if dept else "/nowhere/"
    return Actor(id=user.id, username=user.username, role=user.role, department_id=user.department_id,
                 scope_path=scope, display_name=user.display_name or user.username, locale=user.locale)


# --- login with rate limit -------------------------------------------------------------------------

def authenticate(session: Session, username: str, password: str, client: str, max_failures: int,
                 window_seconds: int) -> User:
    """Check a password. Too many recent failures for the username or the client answer 429."""
    since = now() - timedelta(seconds=window_seconds)
    recent = session.execute(
        select(func.count()).select_from(LoginFailure)
        .where(LoginFailure.at >= since)
        .where((LoginFailure.username == username) | (LoginFailure.client == client))
    ).scalar_one()
    if recent >= max_failures:
        raise TooManyRequests(f"登录失败次数过多，请 {window_seconds // 60} 分钟后再试",
                              headers={"Retry-After": str(window_seconds)})
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        session.add(LoginFailure(username=username[:64], client=client[:64]))
        session.commit()
        raise NotAuthenticated("用户名或密码错误", code="invalid_credentials")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    session.commit()
    return user


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

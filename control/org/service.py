"""Departments and users: the only code that writes them."""
from __future__ import annotations

import secrets

from sqlalchemy import String, func, literal, select, update
from sqlmodel import Session

from control.core import audit, auth, scope, sessions
from control.core.accounts import LEVEL_ORDER, Department, User
from control.core.auth import Actor, LoginThrottle, hash_password
from control.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from control.core.roles import Role
from control.org.schemas import DepartmentCreate, DepartmentUpdate, PasswordChange, UserCreate, UserUpdate

DEPT_AUDIT_EXCLUDE = {"created_at"}
USER_AUDIT_EXCLUDE = {"password_hash", "created_at"}


# --- departments -------------------------------------------------------------------------------------

def get_department(session: Session, actor: Actor, department_id: int) -> Department:
    return scope.visible_department(session, actor, department_id)


def get_department_by_code(session: Session, code: str) -> Department | None:
    return session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()


def list_departments(session: Session, actor: Actor, *, q: str | None = None, level: str | None = None,
                     parent_id: int | None = None, limit: int = 1000, offset: int = 0) -> tuple[list[Department], int]:
    stmt = scope.scoped(select(Department), actor, Department.id)
    if q:
        stmt = stmt.where(Department.name.contains(q) | Department.code.contains(q.upper()))
    if level:
        stmt = stmt.where(Department.level == level)
    if parent_id is not None:
        stmt = stmt.where(Department.parent_id == parent_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Department.path, Department.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def _check_parent(session: Session, level, parent_id: int | None) -> Department | None:
    if parent_id is None:
        return None
    parent = session.get(Department, parent_id)
    if parent is None:
        raise ValidationFailed("上级部门不存在", errors=[{"field": "parent_id", "message": "上级部门不存在",
                                                         "code": "parent_missing"}])
    if LEVEL_ORDER.index(parent.level) > LEVEL_ORDER.index(level):
        raise ValidationFailed(f"上级部门层级（{parent.level.zh}）低于本部门层级（{level.zh}）",
                               errors=[{"field": "parent_id", "message": "上级部门层级不能低于本部门",
                                        "code": "level_order"}])
    return parent


def _check_code_free(session: Session, code: str, own_id: int | None = None) -> None:
    other = get_department_by_code(session, code)
    if other is not None and other.id != own_id:
        raise Conflict(f"部门代码 {code} 已被“{other.name}”使用", code="duplicate_code")


def create_department(session: Session, actor: Actor, data: DepartmentCreate) -> Department:
    actor.require(Role.admin)
    _check_code_free(session, data.code)
    parent = _check_parent(session, data.level, data.parent_id)
    dept = Department(**data.model_dump())
    session.add(dept)
    session.flush()
    dept.path = f"{parent.path if parent else '/'}{dept.id}/"
    audit.record(session, actor, "create", "department", dept.id, after=audit.snapshot(dept, DEPT_AUDIT_EXCLUDE),
                 label=dept.name)
    session.commit()
    return dept


def update_department(session: Session, actor: Actor, department_id: int, data: DepartmentUpdate) -> Department:
    actor.require(Role.admin)
    dept = get_department(session, actor, department_id)
    before = audit.snapshot(dept, DEPT_AUDIT_EXCLUDE)
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes:
        _check_code_free(session, changes["code"], dept.id)
    level = changes.get("level", dept.level)
    if "parent_id" in changes or "level" in changes:
        parent = _check_parent(session, level, changes.get("parent_id", dept.parent_id))
        if parent is not None and parent.path.startswith(dept.path):
            raise Conflict("不能把部门移到它自己的下级之下", code="tree_cycle")
        new_path = f"{parent.path if parent else '/'}{dept.id}/"
        if new_path != dept.path:
            # Move the whole subtree: every descendant's path shares the old prefix.
            old = dept.path
            session.execute(update(Department).where(Department.path.startswith(old))
                            .values(path=literal(new_path, String) + func.substr(Department.path, len(old) + 1)))
            session.refresh(dept)
    for key, value in changes.items():
        setattr(dept, key, value)
    session.add(dept)
    audit.record(session, actor, "update", "department", dept.id, before=before,
                 after=audit.snapshot(dept, DEPT_AUDIT_EXCLUDE), label=dept.name)
    session.commit()
    return dept


# --- users -------------------------------------------------------------------------------------------

def _check_user_department(session: Session, role: Role, department_id: int | None) -> None:
    if role == Role.department and department_id is None:
        raise ValidationFailed("部门用户必须指定所属部门",
                               errors=[{"field": "department_id", "message": "部门用户必须指定所属部门",
                                        "code": "department_required"}])
    if department_id is not None and session.get(Department, department_id) is None:
        raise ValidationFailed("所属部门不存在", errors=[{"field": "department_id", "message": "所属部门不存在",
                                                           "code": "department_missing"}])


def _check_reviewer(role: Role, reviewer: bool) -> None:
    """A reviewer signs review levels for their own department, so only a department user can be one."""
    if reviewer and role != Role.department:
        message = f"只有{Role.department.zh}的用户可以指定为审核人（当前角色：{role.zh}）"
        raise ValidationFailed(message, errors=[{"field": "reviewer", "message": message, "code": "reviewer_role"}])


def list_users(session: Session, actor: Actor, limit: int = 200, offset: int = 0) -> tuple[list[User], int]:
    actor.require(Role.admin, Role.auditor)
    total = session.execute(select(func.count()).select_from(User)).scalar_one()
    rows = session.execute(select(User).order_by(User.username).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def get_user_by_username(session: Session, actor: Actor, username: str) -> User:
    actor.require(Role.admin, Role.auditor)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    if actor.id != user_id:
        actor.require(Role.admin, Role.auditor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    actor.require(Role.admin)
    if session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict(f"用户名 {data.username} 已存在", code="duplicate_username")
    _check_user_department(session, data.role, data.department_id)
    _check_reviewer(data.role, data.reviewer)
    user = User(username=data.username, display_name=data.display_name or data.username, role=data.role,
                department_id=data.department_id, password_hash=hash_password(data.password),
                reviewer=data.reviewer)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, after=audit.snapshot(user, USER_AUDIT_EXCLUDE),
                 label=user.username)
    session.commit()
    return user


def update_user(session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    # A user's own password changes through change_own_password, which asks for the current one.
    self_service = actor.id == user_id and set(changes) <= {"display_name", "locale"}
    if not self_service:
        actor.require(Role.admin)
    if actor.id == user_id and "password" in changes:
        raise Forbidden("修改自己的密码须提供当前密码：请用“修改密码”页面或 POST /api/v1/me/password",
                        code="current_password_required")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    before = audit.snapshot(user, USER_AUDIT_EXCLUDE)
    password = changes.pop("password", None)
    role = changes.get("role", user.role)
    _check_user_department(session, role, changes.get("department_id", user.department_id))
    _check_reviewer(role, changes.get("reviewer", user.reviewer))
    ensure_admin_remains(session, user, active=changes.get("active", user.active), role=role)
    for key, value in changes.items():
        setattr(user, key, value)
    if password:
        user.password_hash = hash_password(password)
    if password or not user.active:
        sessions.revoke_user(session, user.id)
    session.add(user)
    after = audit.snapshot(user, USER_AUDIT_EXCLUDE)
    change = audit.diff(before, after)
    if password:
        change["password"] = ["***", "***（已修改）"]
    audit.record(session, actor, "update", "user", user.id, changes=change, label=user.username)
    session.commit()
    return user


def ensure_admin_remains(session: Session, user: User, *, active: bool, role: Role) -> None:
    """The one rule for deactivating and demoting: some active administrator must remain. The active
    admins' rows are locked (PostgreSQL), so two admins removing each other at once cannot both pass."""
    if user.role != Role.admin or not user.active or (active and role == Role.admin):
        return
    admins = session.execute(select(User.id).where(User.role == Role.admin, User.active)
                             .with_for_update()).scalars().all()
    if set(admins) <= {user.id}:
        action = "停用" if not active else "取消管理员角色"
        raise Conflict(f"不能{action}：这是最后一个启用的系统管理员", code="last_admin")


def deactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    actor.require(Role.admin)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    if not user.active:
        raise Conflict("该用户已停用", code="already_inactive")
    ensure_admin_remains(session, user, active=False, role=user.role)
    user.active = False
    sessions.revoke_user(session, user.id)
    session.add(user)
    audit.record(session, actor, "deactivate", "user", user.id, changes={"active": [True, False]},
                 label=user.username)
    session.commit()
    return user


# --- getting back in: unlock, temporary password, own password ---------------------------------------------

# No 0/O, 1/l/I: a temporary password is read out over the phone or copied from a screen.
_TEMPORARY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
TEMPORARY_LENGTH = 12


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


def unlock_user(session: Session, actor: Actor, user_id: int) -> tuple[User, int]:
    """End a user's login back-off now (admin): their recorded failures are forgotten. Returns how many."""
    actor.require(Role.admin)
    user = _user(session, user_id)
    forgotten = auth.unlock(session, user.username)
    audit.record(session, actor, "unlock", "user", user.id, changes={"login_failures": [forgotten, 0]},
                 label=user.username)
    session.commit()
    return user, forgotten


def reset_password(session: Session, actor: Actor, user_id: int) -> tuple[User, str]:
    """Give a user a temporary password (admin): returned once to be handed over, stored only hashed, never
    audited; the user must choose a new one at next sign-in. Their sessions end and their lockout is lifted."""
    actor.require(Role.admin)
    user = _user(session, user_id)
    temporary = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
    before = user.must_change_password
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    sessions.revoke_user(session, user.id)
    auth.unlock(session, user.username)
    session.add(user)
    audit.record(session, actor, "reset_password", "user", user.id, label=user.username,
                 changes={"password": ["***", "***（临时密码）"], "must_change_password": [before, True]})
    session.commit()
    return user, temporary


def change_own_password(session: Session, actor: Actor, data: PasswordChange, *, client: str,
                        limits: LoginThrottle, keep_session: str | None = None) -> User:
    """A signed-in user sets a new password with their current one. Every other session of theirs ends
    (the one they are using stays, when given) and bearer tokens already issued stop working."""
    if actor.id is None:
        raise Forbidden("只有已登录的用户可以修改自己的密码", code="no_user")
    user = _user(session, actor.id)
    auth.check_current_password(session, user, data.current_password, client, limits)
    if data.new_password == data.current_password:
        message = "新密码不能与当前密码相同"
        raise ValidationFailed(message, errors=[{"field": "new_password", "message": message,
                                                 "code": "same_password"}])
    before = user.must_change_password
    user.password_hash = hash_password(data.new_password)
    user.must_change_password = False
    sessions.revoke_user(session, user.id, keep_token=keep_session)
    session.add(user)
    change = {"password": ["***", "***（已修改）"]}
    if before:
        change["must_change_password"] = [True, False]
    audit.record(session, actor, "change_password", "user", user.id, changes=change, label=user.username)
    session.commit()
    return user

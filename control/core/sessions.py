"""Server-side web sessions. The signed cookie carries only a random token; this table keeps its hash,
so logout, a password change or a deactivation ends the session even for a copied cookie."""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, delete, select, update
from sqlmodel import Field, Session, SQLModel

from control.core.clock import now

# last_seen_at is written at most this often per session, so reading pages is not a write per request;
# the idle timeout is therefore exact to within this many seconds.
TOUCH_SECONDS = 60


def _utc_column(nullable: bool = False, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"
    id: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's token, never the token
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(sa_column=_utc_column())
    last_seen_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column(index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    client: str = Field(default="", max_length=64)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def start(session: Session, user_id: int, client: str, ttl_seconds: int) -> str:
    """Open a session for a signed-in user and return the token for the cookie. Sessions already
    ended are purged here, so the table holds about one row per live session."""
    at = now()
    session.execute(delete(UserSession).where(UserSession.expires_at < at))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=_key(token), user_id=user_id, created_at=at, last_seen_at=at,
                            expires_at=at + timedelta(seconds=ttl_seconds), client=client[:64]))
    session.commit()
    return token


def resolve(session: Session, token: str, idle_seconds: int) -> int | None:
    """The user id of a live session: not revoked, not past its absolute or idle timeout."""
    at = now()
    row = session.execute(
        select(UserSession.id, UserSession.user_id, UserSession.last_seen_at)
        .where(UserSession.id == _key(token), UserSession.revoked_at.is_(None), UserSession.expires_at > at,
               UserSession.last_seen_at > at - timedelta(seconds=idle_seconds))
    ).first()
    if row is None:
        return None
    if at - _utc(row.last_seen_at) > timedelta(seconds=TOUCH_SECONDS):
        session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=at))
        session.commit()
    return row.user_id


def revoke(session: Session, token: str) -> None:
    """End one session (logout). The caller commits."""
    session.execute(update(UserSession).where(UserSession.id == _key(token), UserSession.revoked_at.is_(None))
                    .values(revoked_at=now()))


def revoke_user(session: Session, user_id: int, keep_token: str | None = None) -> None:
    """End every session of a user (password change, deactivation) in the caller's transaction, but for
    the one whose token is `keep_token` (the user changing their own password stays signed in there)."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_token is not None:
        stmt = stmt.where(UserSession.id != _key(keep_token))
    session.execute(stmt.values(revoked_at=now()))

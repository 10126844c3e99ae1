"""API keys with roles (admin, staff, viewer). Keys are random 32-byte tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import AuthError, ConflictError, InputError
from matcher.store.tables import ApiKey

ROLES = ("viewer", "staff", "admin")  # each role can do what the roles before it can
ROLE_ZH = {"viewer": "只读", "staff": "工作人员", "admin": "管理员"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, *, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key for `name`; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}")
    if session.scalar(select(ApiKey).where(ApiKey.name == name)):
        raise ConflictError(f"名为「{name}」的密钥已存在")
    key = "mk_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role, key_hash=hash_key(key))
    session.add(row)
    session.flush()
    return row, key


def authenticate(session: Session, *, key: str | None) -> ApiKey:
    if not key:
        raise AuthError("请先登录：需要访问密钥（请求头 X-API-Key 或 Authorization: Bearer …）")
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None or row.revoked:
        raise AuthError("密钥无效或已被停用，请向管理员索取新密钥")
    return row


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def revoke_key(session: Session, *, name: str) -> None:
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise InputError(f"no key named {name!r}")
    row.revoked = True


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.pk)))

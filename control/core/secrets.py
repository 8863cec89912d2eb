"""Secrets given by reference, so a setting or a database row names where a secret lives and never holds
it: `file:/path/to/file` (its text, without the final line break) or `env:VARIABLE`. Used for the audit
chain's key; device passwords will use the same references."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class SecretError(ValueError):
    """A reference that cannot be resolved. The message names the reference's kind and place, never a value
    (a secret pasted where a reference belongs must not end up in a log)."""


def resolve_secret(reference: str) -> str:
    """The secret a reference points to; SecretError when it is malformed, missing or empty."""
    kind, sep, where = reference.partition(":")
    if not sep or not where:
        raise SecretError("密钥引用格式不正确：应为 file:文件路径 或 env:环境变量名")
    if kind == "file":
        try:
            value = Path(where).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SecretError(f"密钥文件不存在：{where}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"无法读取密钥文件：{where}（{type(exc).__name__}）") from None
        value = value.removesuffix("\n").removesuffix("\r")
    elif kind == "env":
        value = os.environ.get(where, "")
    else:
        raise SecretError("密钥引用格式不正确：应为 file:文件路径 或 env:环境变量名")
    if not value:
        raise SecretError(f"密钥为空：{kind}:{where}")
    return value


def key_file(path: Path) -> str:
    """A random key kept in `path`, created on first use readable by the owner only (mode 0600 from the
    start, published with a hard link so two processes starting together end up with the same key)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return resolve_secret(f"file:{path}")

"""Secrets given by reference, so a setting or a database row names where a secret lives and never holds
it: `file:/path/to/file` (its text, without the final line break), `env:VARIABLE`, or `secret:NAME`.

`secret:NAME` (NAME: a letter or digit, then letters, digits, `_`, `.`, `-`; at most 64) is resolved by this
exact rule: when the environment variable YUNZHANG_SECRETS_DIR is set and the file `$YUNZHANG_SECRETS_DIR/NAME`
exists, its text without the final line break; otherwise the environment variable `YUNZHANG_SECRET_<KEY>`,
where KEY is NAME upper-cased with `.` and `-` turned into `_` (`secret:sw-edu.enable` →
YUNZHANG_SECRET_SW_EDU_ENABLE). Device credentials accept only this form: a row anyone may edit can name a
secret of the service's own store, never an arbitrary file or variable. The audit chain's key takes any form."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

SECRET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
FORMS = "file:文件路径、env:环境变量名 或 secret:名称"


class SecretError(ValueError):
    """A reference that cannot be resolved. The message names the reference's kind and place, never a value
    (a secret pasted where a reference belongs must not end up in a log)."""


def resolve_secret(reference: str) -> str:
    """The secret a reference points to; SecretError when it is malformed, missing or empty."""
    kind, sep, where = reference.partition(":")
    if not sep or not where:
        raise SecretError(f"密钥引用格式不正确：应为 {FORMS}")
    if kind == "file":
        value = _read_file(Path(where), where)
    elif kind == "env":
        value = os.environ.get(where, "")
    elif kind == "secret":
        value = _named(where)
    else:
        raise SecretError(f"密钥引用格式不正确：应为 {FORMS}")
    if not value:
        raise SecretError(f"密钥为空：{kind}:{where}")
    return value


def is_named_reference(reference: str) -> bool:
    """`secret:NAME` with a well-formed NAME (what device credentials accept)."""
    kind, _, name = reference.partition(":")
    return kind == "secret" and SECRET_NAME.fullmatch(name) is not None


def env_variable(name: str) -> str:
    """The environment variable holding `secret:name` when the secrets folder does not."""
    return "YUNZHANG_SECRET_" + name.upper().replace(".", "_").replace("-", "_")


def _named(name: str) -> str:
    if SECRET_NAME.fullmatch(name) is None:
        raise SecretError("密钥名称不正确：以字母或数字开头，只含字母、数字、_ . -，至多 64 个字符")
    folder = os.environ.get("YUNZHANG_SECRETS_DIR", "")
    if folder and (Path(folder) / name).is_file():
        return _read_file(Path(folder) / name, f"secret:{name}")
    return os.environ.get(env_variable(name), "")


def _read_file(path: Path, shown: str) -> str:
    try:
        value = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretError(f"密钥文件不存在：{shown}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"无法读取密钥文件：{shown}（{type(exc).__name__}）") from None
    return value.removesuffix("\n").removesuffix("\r")


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

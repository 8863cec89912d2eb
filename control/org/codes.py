"""Organisation codes: the unified social credit code (GB 32100-2015) and the legacy
organisation code (GB 11714-1997). Both end in a check character that we verify, because a
mistyped code silently splits one department into two."""
from __future__ import annotations

import re

from control.core.enums import normalize_text

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_USCC_RE = re.compile(rf"^[{USCC_CHARSET}]{{18}}$")
_ORG_RE = re.compile(r"^[0-9A-Z]{8}-?[0-9X]$")


class CodeError(ValueError):
    """A code that is malformed or whose check character is wrong; the message is zh-CN."""


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=False))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    total = sum((int(c) if c.isdecimal() else ord(c) - 55) * w for c, w in zip(body8, ORG_WEIGHTS, strict=False))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def normalize_code(raw: str) -> str:
    """Canonical form of a department code: upper case, half-width, legacy codes with their hyphen.
    Raises CodeError naming what is wrong."""
    code = normalize_text(raw).replace(" ", "").upper()
    if len(code) == 18:
        if not _USCC_RE.match(code):
            raise CodeError(f"统一社会信用代码“{code}”含有不允许的字符（不使用 I、O、S、V、Z）")
        expected = uscc_check_char(code[:17])
        if code[17] != expected:
            raise CodeError(f"统一社会信用代码“{code}”校验码错误，应为 {expected}")
        return code
    if _ORG_RE.match(code):
        body, check = code[:8], code[-1]
        expected = org_check_char(body)
        if check != expected:
            raise CodeError(f"组织机构代码“{body}-{check}”校验码错误，应为 {expected}")
        return f"{body}-{check}"
    raise CodeError(f"“{code}”既不是18位统一社会信用代码，也不是组织机构代码（如 12345678-9）")


def is_valid_code(raw: str) -> bool:
    try:
        normalize_code(raw)
    except CodeError:
        return False
    return True

"""Enumerations with stable English values and zh-CN labels, and a tolerant parser for both."""
from __future__ import annotations

import enum
import unicodedata


def normalize_text(value: object) -> str:
    """Full-width to half-width (NFKC), strip stray spaces: what a form-filler's cell really holds."""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).strip()


class LabeledEnum(enum.StrEnum):
    """A str enum whose members carry (value, zh-CN label, English label, *aliases)."""

    def __new__(cls, value: str, zh: str, en: str, *aliases: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh
        obj.en = en
        obj.aliases = aliases
        return obj

    def label(self, locale: str = "zh_CN") -> str:
        return self.en if locale.startswith("en") else self.zh

    @classmethod
    def parse(cls, raw: object):
        """Match a value, a zh-CN or English label or an alias, ignoring width, case and spaces."""
        key = normalize_text(raw).replace(" ", "").lower()
        for member in cls:
            names = (member.value, member.zh, member.en, *member.aliases)
            if key in {normalize_text(n).replace(" ", "").lower() for n in names}:
                return member
        raise ValueError(f"“{normalize_text(raw)}”不是可选值之一：{'、'.join(m.zh for m in cls)}")

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.zh) for m in cls]


def enum_column(enum_cls: type[enum.Enum]):
    """Store an enum as VARCHAR (not a native PostgreSQL type) so adding a value needs no migration."""
    from sqlalchemy import Enum
    return Enum(enum_cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)

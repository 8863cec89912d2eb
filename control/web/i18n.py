"""Locales for the web UI. Templates are written in zh-CN (the default) and marked with _();
the English catalogue (locale/en/LC_MESSAGES/messages.po, kept with Babel) translates them."""
from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("zh_CN", "en")


class _CatalogTranslations(Translations):
    """Translations read straight from the .po file, so no compile step is needed."""

    def __init__(self, po_path: Path):
        super().__init__()
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        self._catalog = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == "zh_CN" or not po.exists():
        return gettext.NullTranslations()
    return _CatalogTranslations(po)


def pick_locale(cookie: str | None, user_locale: str | None, default: str) -> str:
    """The user's saved preference, then the lang cookie, then the default (zh_CN). The browser's
    Accept-Language is not consulted: the UI speaks zh-CN unless someone chooses English."""
    for candidate in (user_locale, cookie):
        if candidate in LOCALES:
            return candidate
    return default

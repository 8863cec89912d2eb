"""Text that is safe to keep and to hand out: one Unicode form, no control characters on the way in,
no live formulas on the way out to a spreadsheet or CSV."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import AfterValidator

# C0 and C1 controls, DEL, lone surrogates (a JSON "\ud800" decodes to one and cannot be encoded as
# UTF-8), and the bidirectional overrides that make a name read differently from what it holds.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")

# A cell a spreadsheet program would evaluate: OWASP's list of formula starts.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """NFC (one spelling per name: 'é' typed or composed is the same system), controls removed;
    single-line text has its line breaks and tabs turned into one space."""
    text = _CONTROLS.sub("", unicodedata.normalize("NFC", value))
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return text


def _clean_line(value: str) -> str:
    return clean_text(value, multiline=False).strip()


def _clean_block(value: str) -> str:
    return clean_text(value).strip()


# Request fields: a one-line name or label, and free text that may keep its line breaks.
CleanLine = Annotated[str, AfterValidator(_clean_line)]
CleanText = Annotated[str, AfterValidator(_clean_block)]


def csv_safe(value: Any) -> Any:
    """A CSV value a spreadsheet opens as text: a string starting like a formula gets a leading
    apostrophe (numbers are left alone, so -3 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_cell(ws: Worksheet, value: Any) -> Any:
    """A value for a write-only worksheet row. openpyxl stores a string starting with '=' as a
    formula; such a string is written as a text cell instead, keeping its exact text for re-import."""
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith("="):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            return cell
    return value


def xlsx_row(ws: Worksheet, values: list[Any]) -> list[Any]:
    return [xlsx_cell(ws, v) for v in values]

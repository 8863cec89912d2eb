"""Reading an uploaded .xlsx with bounded memory. Anyone who may import can send a file, so nothing in
it is trusted: the zip directory is checked before anything is decompressed (parts, declared sizes,
compression ratio), decompressed bytes are counted while they stream (declared sizes can lie), XML with
a DTD is refused before the parser sees it (no entity expansion), parser targets build no tree (memory
holds one chunk of XML and the rows not yet taken), and cells, rows, columns, sheets, shared strings and
styles are counted against the limits in settings.

Why not defusedxml: it refuses DTDs with ElementTree's pure-Python parser in place of the C one, which
parsed the 20,000-row bench census about three times slower. A part with no NUL byte is in an
ASCII-compatible encoding (UTF-16 and UTF-32 always hold NULs, and XML 1.0 allows no NUL character), so a
DTD in it shows as the literal bytes `<!DOCTYPE`, which the byte counter refuses; expat's own
amplification limit stays as a second guard."""
from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from posixpath import dirname, join, normpath
from typing import IO, Any
from xml.etree.ElementTree import ParseError, XMLParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from control.core.errors import PayloadTooLarge, ValidationFailed
from control.core.textsafe import clean_text
from control.settings import Settings, get_settings

MB = 1024 * 1024
RATIO_FLOOR = MB         # a part smaller than this holds little whatever its ratio
MAX_DEPTH = 64           # no spreadsheet part nests deeper
CHUNK = 64 * 1024


@dataclass(frozen=True)
class WorkbookLimits:
    """What one upload may make the server hold (settings census_max_*)."""
    upload_bytes: int
    zip_entries: int
    part_bytes: int
    total_bytes: int
    compression_ratio: int
    sheets: int
    rows: int
    columns: int
    cell_chars: int
    shared_strings: int
    styles: int
    errors: int

    @classmethod
    def of(cls, settings: Settings | None = None) -> WorkbookLimits:
        s = settings or get_settings()
        return cls(s.census_max_upload_bytes, s.census_max_zip_entries, s.census_max_part_bytes,
                   s.census_max_total_bytes, s.census_max_compression_ratio, s.census_max_sheets, s.census_max_rows,
                   s.census_max_columns, s.census_max_cell_chars, s.census_max_shared_strings, s.census_max_styles,
                   s.census_max_errors)


class ExcelError(str):
    """An error value a formula left in a cell (#N/A, #VALUE!…)."""


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n} 字节"


def too_large(message: str) -> PayloadTooLarge:
    return PayloadTooLarge(message + "：请检查文件，或分成几个工作簿导入", code="workbook_too_large")


def bad_content(message: str, code: str, sheet: str | None = None, row: int | None = None) -> ValidationFailed:
    """A workbook refused as a whole, in the shape of the import's cell errors (sheet, row, column)."""
    return ValidationFailed(message, code=code, errors=[{"sheet": sheet, "row": row, "column": None, "code": code,
                                                         "message": message}])


def not_a_workbook() -> ValidationFailed:
    return ValidationFailed("上传的文件不是可读取的 .xlsx 工作簿", code="not_a_workbook",
                            errors=[{"sheet": None, "row": None, "column": None, "code": "not_a_workbook",
                                     "message": "无法读取该文件：请上传 Excel 2007 及以上版本保存的 .xlsx 文件"
                                                "（.xls、.csv、.et 请先另存为 .xlsx，或下载模板填写）"}])


# What a damaged or foreign file raises while it is opened or read.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, IndexError, ValueError, TypeError, OSError,
            ParseError, NotImplementedError, AttributeError)


_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")


class _Counted:
    """A part's decompressed bytes as the XML parser reads them, counted against the part's and the
    workbook's budget: zip headers can understate what a part inflates to. A run of bytes with no tag in
    it longer than any cell can be written in is refused before the parser gathers it into one string."""

    def __init__(self, source: IO[bytes], reader: XlsxReader, label: str | None):
        self.source, self.reader, self.label = source, reader, label
        self.count = self.run = 0
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size if 0 < size <= CHUNK else CHUNK)
        limits = self.reader.limits
        self.count += len(chunk)
        self.reader.inflated += len(chunk)
        if self.count > limits.part_bytes or self.reader.inflated > limits.total_bytes:
            raise too_large(f"工作簿解压后超过上限（单个部件 {_mb(limits.part_bytes)}，"
                            f"合计 {_mb(limits.total_bytes)}）")
        window = self.tail + chunk[:16]
        if b"\0" in chunk or any(mark in window or mark in chunk for mark in _DTD_MARKS):
            raise bad_content("工作簿含有 DTD 或实体声明，或不是 UTF-8 编码（Excel 不会写入这些内容），"
                              "出于安全考虑不予读取", "xml_dtd_forbidden")
        self.tail = chunk[-16:]
        last = chunk.rfind(b"<")
        self.run = self.run + len(chunk) if last < 0 else len(chunk) - last - 1
        if self.run > limits.cell_chars * 10 + CHUNK:  # a character takes at most 10 bytes (&#x10FFFF;)
            raise self.reader.long_cell(self.label, None)
        return chunk


_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DOC_RELS = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
             "{http://purl.oclc.org/ooxml/officeDocument/relationships}id")


class _Starts:
    """A parser target calling `on_start(tag, attrib, parent tag)` for each element: no tree is built."""

    def __init__(self, on_start):
        self.on_start = on_start
        self.path: list[str] = []

    def start(self, tag: str, attrib: dict) -> None:
        self.on_start(tag, attrib, self.path[-1] if self.path else None)
        self.path.append(tag)
        if len(self.path) > MAX_DEPTH:
            raise not_a_workbook()

    def end(self, tag: str) -> None:
        self.path.pop()

    def data(self, text: str) -> None:
        pass


class _Strings:
    """A parser target gathering the text of string items (<si> of the shared strings, <is> of an inline
    cell): their <t>, or their rich-text runs, never the phonetic hints <rPh>. Text is counted as it
    arrives, so no item grows past the cell limit."""

    def __init__(self, reader: XlsxReader, label: str | None):
        ns = reader.ns
        self.reader, self.label, self.limit = reader, label, reader.limits.cell_chars
        self.t_tag, self.phonetic_tag = ns + "t", ns + "rPh"
        self.depth = self.phonetic = self.chars = 0
        self.collecting = False
        self.text: list[str] = []

    def start(self, tag: str, attrib: dict) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise not_a_workbook()
        if tag == self.t_tag:
            self.collecting = not self.phonetic
        elif tag == self.phonetic_tag:
            self.phonetic += 1

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == self.t_tag:
            self.collecting = False
        elif tag == self.phonetic_tag:
            self.phonetic -= 1

    def data(self, text: str) -> None:
        if self.collecting:
            self.text.append(text)
            self.chars += len(text)
            if self.chars > self.limit:
                raise self.reader.long_cell(self.label, self.row())

    def row(self) -> int | None:
        return None

    def take(self) -> str:
        text = "".join(self.text)
        self.text.clear()
        self.chars = 0
        return text


class _SharedStrings(_Strings):
    def __init__(self, reader: XlsxReader):
        super().__init__(reader, None)
        self.item_tag = reader.ns + "si"
        self.strings: list[str] = []

    def end(self, tag: str) -> None:
        super().end(tag)
        if tag == self.item_tag:
            self.strings.append(clean_text(self.take()))
            if len(self.strings) > self.reader.limits.shared_strings:
                raise bad_content(f"工作簿的共享字符串超过 {self.reader.limits.shared_strings} 个",
                                  "too_many_strings")


class _Sheet(_Strings):
    """A parser target turning a worksheet's XML into (row number, values) as rows end. Rows holding values
    are counted against the row limit (all sheets together, since every row read is kept until the
    import is checked); a value past the column limit refuses the sheet, an empty (formatted) cell
    there is skipped."""

    def __init__(self, reader: XlsxReader, sheet: str):
        super().__init__(reader, sheet)
        ns = reader.ns
        self.sheet, self.limits = sheet, reader.limits
        self.row_tag, self.cell_tag, self.value_tag = ns + "row", ns + "c", ns + "v"
        self.strings, self.date_styles = reader.strings, reader.date_styles
        self.epoch = CALENDAR_MAC_1904 if reader.date1904 else CALENDAR_WINDOWS_1900
        self.columns: dict[str, int] = {}
        self.number = 0
        self.row_ref: str | None = None
        self.cell: dict = {}
        self.values: list[Any] = []
        self.ready: list[tuple[int, list[Any]]] = []

    # start and end run for every element of a sheet: the string items' handling is inlined, not inherited.
    def start(self, tag: str, attrib: dict) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise not_a_workbook()
        if tag == self.t_tag:
            self.collecting = not self.phonetic
        elif tag == self.cell_tag:
            self.cell = attrib
        elif tag == self.value_tag:
            self.collecting = True
        elif tag == self.row_tag:
            self.row_ref = attrib.get("r")
        elif tag == self.phonetic_tag:
            self.phonetic += 1

    def row(self) -> int:
        return int(self.row_ref or self.number + 1)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == self.cell_tag:
            self._cell(self.take())
        elif tag == self.t_tag or tag == self.value_tag:
            self.collecting = False
        elif tag == self.row_tag:
            self.number = self.row()
            if self.values:
                self.reader.filled += 1
                if self.reader.filled > self.limits.rows:
                    raise bad_content(f"工作簿超过 {self.limits.rows} 行（读到“{self.sheet}”表第 {self.number} 行）："
                                      "请分成几个工作簿导入", "too_many_rows", self.sheet, self.number)
                self.ready.append((self.number, self.values))
                self.values = []
        elif tag == self.phonetic_tag:
            self.phonetic -= 1

    def _cell(self, raw: str) -> None:
        attrib, values = self.cell, self.values
        ref = attrib.get("r")
        index = len(values)
        if ref:
            letters = ref.rstrip("0123456789")
            index = self.columns.get(letters, -1)
            if index < 0:
                index = self.columns[letters] = column_index_from_string(letters) - 1
        kind = attrib.get("t", "n")
        if kind == "inlineStr":
            value: Any = clean_text(raw)
        elif raw == "":
            return
        elif kind == "s":
            value = self.strings[int(raw)]
        elif kind == "n":
            value = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if int(attrib.get("s", 0)) in self.date_styles:
                value = _excel_date(value, self.epoch)
        elif kind == "b":
            value = raw == "1"
        elif kind == "d":
            value = _iso_date(raw)
        elif kind == "e":
            value = ExcelError(raw)
        else:
            value = clean_text(raw)
        if value == "":
            return
        if index >= self.limits.columns:
            raise bad_content(f"“{self.sheet}”表第 {self.row()} 行超过 {self.limits.columns} 列",
                              "too_many_columns", self.sheet, self.row())
        if index >= len(values):
            values.extend([None] * (index - len(values)))
            values.append(value)
        else:
            values[index] = value


class XlsxReader:
    """Cell values of an .xlsx, streamed row by row. openpyxl's read-only mode builds an object per cell
    and spends about 8 s on a 20,000-row census; this reads the same values (shared and inline strings,
    numbers, dates by their number format, booleans) in a fraction of that, with parser targets that build
    no tree: memory holds a chunk of XML and the rows not yet taken. openpyxl writes the files. Text is
    cleaned on the way in (textsafe.clean_text: NFC, no control characters)."""

    def __init__(self, source: bytes | IO[bytes], limits: WorkbookLimits):
        self.limits = limits
        self.inflated = self.filled = 0  # decompressed bytes and rows holding values, all parts and sheets
        self.zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        self._check_directory()
        workbook_path = self._targets("")["officeDocument"][0][1]
        targets = self._targets(workbook_path)
        rel_ids = dict(targets.get("worksheet", []))
        self.ns = ""
        self.date1904 = False
        self.sheets: dict[str, str] = {}

        def on_start(tag: str, attrib: dict, parent: str | None) -> None:
            if tag.endswith("}workbookPr"):
                self.date1904 = attrib.get("date1904") in ("1", "true")
            elif tag.endswith("}sheet"):
                self.ns = tag[:tag.index("}") + 1]
                rel_id = next((attrib.get(a) for a in _DOC_RELS if attrib.get(a)), None)
                if rel_id in rel_ids:
                    self.sheets[clean_text(attrib.get("name") or "", multiline=False)] = rel_ids[rel_id]
                if len(self.sheets) > limits.sheets:
                    raise bad_content(f"工作簿的工作表超过 {limits.sheets} 个", "too_many_sheets")

        self._parse(workbook_path, _Starts(on_start))
        self.strings = self._shared_strings(targets.get("sharedStrings", []))
        self.date_styles = self._date_styles(targets.get("styles", []))

    def _check_directory(self) -> None:
        """The zip directory, before anything is decompressed."""
        limits = self.limits
        infos = self.zip.infolist()
        if len(infos) > limits.zip_entries:
            raise too_large(f"工作簿包含 {len(infos)} 个部件，超过上限 {limits.zip_entries} 个")
        total = 0
        for info in infos:
            if info.file_size > limits.part_bytes:
                raise too_large(f"工作簿中有部件解压后达 {_mb(info.file_size)}，超过上限 {_mb(limits.part_bytes)}")
            if info.file_size > RATIO_FLOOR and info.file_size > limits.compression_ratio * max(info.compress_size, 1):
                raise too_large(f"工作簿中有部件的压缩比超过 {limits.compression_ratio} 倍，疑为压缩炸弹")
            total += info.file_size
        if total > limits.total_bytes:
            raise too_large(f"工作簿解压后共 {_mb(total)}，超过上限 {_mb(limits.total_bytes)}")

    def long_cell(self, sheet: str | None, row: int | None) -> ValidationFailed:
        where = f"“{sheet}”表" if sheet else "工作簿"
        return bad_content(f"{where}有单元格超过 {self.limits.cell_chars} 个字（Excel 单元格的上限）",
                           "cell_too_long", sheet, row)

    def _feed(self, path: str, label: str | None, target: Any) -> Iterator[None]:
        """Feed a part to a parser target chunk by chunk, pausing after each chunk."""
        try:
            with self.zip.open(path) as raw:
                source = _Counted(raw, self, label)
                parser = XMLParser(target=target)
                while chunk := source.read(CHUNK):
                    parser.feed(chunk)
                    yield
                parser.close()
        except _DAMAGED:
            raise not_a_workbook() from None

    def _parse(self, path: str, target: Any) -> None:
        for _ in self._feed(path, None, target):
            pass

    def _targets(self, part: str) -> dict[str, list]:
        """Relationships of a part by type: the package's (part "") or a part's own _rels file."""
        rels_path = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels") if part else "_rels/.rels"
        found: dict[str, list] = {}
        count = 0

        def on_start(tag: str, rel: dict, parent: str | None) -> None:
            nonlocal count
            if tag != _RELS:
                return
            count += 1
            if count > self.limits.zip_entries:
                raise too_large(f"工作簿的部件关系超过 {self.limits.zip_entries} 条")
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(part), target))
            found.setdefault(rel.get("Type", "").rsplit("/", 1)[-1], []).append((rel.get("Id"), path))

        self._parse(rels_path, _Starts(on_start))
        return found

    def _shared_strings(self, targets: list) -> list[str]:
        if not targets:
            return []
        target = _SharedStrings(self)
        self._parse(targets[0][1], target)
        return target.strings

    def _date_styles(self, targets: list) -> set[int]:
        """Cell style indexes whose number format is a date."""
        if not targets:
            return set()
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        num_fmt, xf_tag, cell_xfs = self.ns + "numFmt", self.ns + "xf", self.ns + "cellXfs"
        dates: set[int] = set()
        count = index = 0

        def on_start(tag: str, attrib: dict, parent: str | None) -> None:
            nonlocal count, index
            if tag == num_fmt:
                formats[int(attrib.get("numFmtId"))] = attrib.get("formatCode", "")
                count += 1
            elif tag == xf_tag and parent == cell_xfs:
                if is_date_format(formats.get(int(attrib.get("numFmtId", 0)), "")):
                    dates.add(index)
                index += 1
                count += 1
            if count > self.limits.styles:
                raise bad_content(f"工作簿的单元格格式超过 {self.limits.styles} 种", "too_many_styles")

        self._parse(targets[0][1], _Starts(on_start))
        return dates

    def rows(self, sheet: str) -> Iterator[tuple[int, list[Any]]]:
        """(Excel row number, cell values from column A) for every row of the sheet holding a value."""
        target = _Sheet(self, sheet)
        for _ in self._feed(self.sheets[sheet], sheet, target):
            ready, target.ready = target.ready, []
            yield from ready


def _iso_date(text: str) -> Any:
    """A cell stored as an ISO 8601 date (t="d"); anything else is kept as text for the cell check."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _excel_date(serial: float, epoch: datetime) -> Any:
    """A number formatted as a date; one outside Excel's calendar stays a number for the cell check."""
    try:
        return from_excel(serial, epoch)
    except (OverflowError, ValueError):
        return serial


def upload_size(source: bytes | IO[bytes]) -> int:
    if isinstance(source, bytes):
        return len(source)
    size = source.seek(0, 2)
    source.seek(0)
    return size


def open_workbook(source: bytes | IO[bytes], limits: WorkbookLimits) -> XlsxReader:
    """The reader of an uploaded workbook, refused with 413 past the upload size before anything is read."""
    size = upload_size(source)
    if size > limits.upload_bytes:
        raise too_large(f"上传的文件有 {_mb(size)}，超过上限 {_mb(limits.upload_bytes)}")
    try:
        return XlsxReader(source, limits)
    except _DAMAGED:
        raise not_a_workbook() from None

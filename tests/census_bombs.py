"""Hostile census workbooks built in the test, small on disk: zip bombs (a sheet of 1 GB of rows, one
1 GB cell, sizes that lie in the zip directory), XML entity expansion, too many parts, and junk that
makes an error in every cell. Each is built once per test process."""
from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable
from functools import cache

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET = "xl/worksheets/sheet1.xml"
GB = 1024 ** 3
HEADS = ("<row r='1'><c r='A1' t='inlineStr'><is><t>部门名称</t></is></c>"
         "<c r='B1' t='inlineStr'><is><t>系统名称</t></is></c></row>")


def workbook(sheet: Iterable[bytes], shared: bytes | None = None, sheet_name: str = "自建系统",
             extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx whose one sheet's XML is streamed into the zip from `sheet` (DEFLATE, level 9)."""
    buf = io.BytesIO()
    rels = f"<Relationship Id='rId1' Type='{RELS}/worksheet' Target='worksheets/sheet1.xml'/>"
    if shared is not None:
        rels += f"<Relationship Id='rId2' Type='{RELS}/sharedStrings' Target='sharedStrings.xml'/>"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/2006/"
                                          "content-types'/>")
        z.writestr("_rels/.rels", f"<Relationships xmlns='{PKG}'><Relationship Id='rId1' "
                                  f"Type='{RELS}/officeDocument' Target='xl/workbook.xml'/></Relationships>")
        z.writestr("xl/workbook.xml", f"<workbook xmlns='{MAIN}' xmlns:r='{RELS}'><sheets>"
                                      f"<sheet name='{sheet_name}' sheetId='1' r:id='rId1'/></sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", f"<Relationships xmlns='{PKG}'>{rels}</Relationships>")
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        with z.open(SHEET, "w") as out:
            for chunk in sheet:
                out.write(chunk)
    return buf.getvalue()


def sheet_xml(rows: Iterable[bytes], heads: bool = False) -> Iterable[bytes]:
    """A worksheet of these rows, after the census headers when `heads`: a reader then goes on past them."""
    yield f"<worksheet xmlns='{MAIN}'><sheetData>".encode()
    if heads:
        yield HEADS.encode()
    yield from rows
    yield b"</sheetData></worksheet>"


def repeated(chunk: bytes, total: int) -> Iterable[bytes]:
    block = chunk * max(1, (1 << 20) // len(chunk))
    for _ in range(total // len(block)):
        yield block


@cache
def rows_bomb() -> bytes:
    """1 GB of identical rows (about 22 million of them) compressed to about 1 MB."""
    return workbook(sheet_xml(repeated(b"<row><c t='inlineStr'><is><t>x</t></is></c></row>", GB), heads=True))


@cache
def cell_bomb() -> bytes:
    """One cell of 1 GB of text."""
    start = b"<row r='1'><c r='A1' t='inlineStr'><is><t>"
    return workbook(sheet_xml([start, *repeated(b"A", GB), b"</t></is></c></row>"]))


@cache
def ratio_bomb() -> bytes:
    """200 MB of rows, under the size limits, compressed a thousandfold."""
    return workbook(sheet_xml(repeated(b"<row><c><v>1</v></c></row>", 200 * 1024 * 1024), heads=True))


@cache
def lying_bomb() -> bytes:
    """256 MB of (empty) rows whose zip directory and local header claim 1 MB: zip checks alone would pass it,
    and a reader that trusted the claim would go on through all of them."""
    data = bytearray(workbook(sheet_xml(repeated(b"<row><c/></row>", 256 * 1024 * 1024), heads=True)))
    name = SHEET.encode()
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(name)] == name:
                struct.pack_into("<I", data, at + size_at, 1024 * 1024)
            at = data.find(signature, at + 4)
    return bytes(data)


def many_rows(count: int) -> bytes:
    """The census headers and `count` rows that do not compress like a bomb: each holds its own number."""
    return workbook(sheet_xml((f"<row r='{n}'><c r='A{n}'><v>{n * 7919}</v></c></row>".encode()
                               for n in range(2, count + 2)), heads=True))


LAUGHS = ("<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
          + "".join(f"<!ENTITY lol{i} '{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}'>" for i in range(1, 10))
          + "]>")


def laughs_in_shared_strings() -> bytes:
    """Billion laughs: nine levels of ten entities, 10^9 'lol's from a few hundred bytes."""
    shared = f"<?xml version='1.0'?>{LAUGHS}<sst xmlns='{MAIN}'><si><t>&lol9;</t></si></sst>".encode()
    return workbook(sheet_xml([b"<row r='1'><c r='A1' t='s'><v>0</v></c></row>"]), shared=shared)


def utf16_sheet() -> bytes:
    """A sheet in UTF-16, where a DTD would not show as the bytes `<!DOCTYPE`: refused as not UTF-8."""
    text = f"<?xml version='1.0' encoding='UTF-16'?>{LAUGHS}<worksheet xmlns='{MAIN}'><sheetData/></worksheet>"
    return workbook([text.encode("utf-16")])


def many_parts(count: int) -> bytes:
    return workbook(sheet_xml([]), extra={f"xl/media/{i}.txt": b"" for i in range(count)})

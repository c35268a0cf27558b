"""An MIS export as a table of cells, whatever saved it: CSV in any of the encodings Excel
and the MIS write (UTF-8 with or without BOM, UTF-16, Windows-1252), or an Excel workbook
(.xlsx, and .xls where python-calamine reads it), the first sheet or a chosen one.

What the file really is comes from its first bytes, not its name: a PDF, a zip, an image
or a workbook renamed .csv is refused with a message that names it. Every cell is cleaned
the same way (zero-width characters, byte-order marks and non-breaking spaces go), and a
cell holding any other control character is refused with its row and column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from charset_normalizer import from_bytes

from parentlink.core.text import find_control, without_controls


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


@dataclass
class Table:
    kind: str  # "CSV, UTF-8 (with BOM)", "Excel workbook (.xlsx), sheet Contacts"
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (the file's own row number, cells)
    sheets: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, message)


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u2007\u202f]")
_XLSX_NOTE = "save it from Excel as .xlsx, or as “CSV UTF-8”"


def clean(value: str) -> str:
    """Zero-width characters and BOMs removed, non-breaking spaces made plain, trimmed."""
    if value.isascii():
        return value.strip()
    return _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip()


def control_character(value: str) -> str | None:
    """The first control character other than tab and newline, as U+XXXX, or None."""
    if value.isprintable():
        return None
    found = find_control(value)  # the one input rule (parentlink.core.text)
    return f"U+{ord(found):04X}" if found else None


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: as a spreadsheet names its columns."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def sniff(data: bytes) -> str:
    """What the bytes are: csv, xlsx or xls; anything else is refused by name."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise FileProblem("this file is a PDF: export the report from the MIS as CSV or Excel")
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile as exc:
            raise FileProblem("this file is a damaged zip archive") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            raise FileProblem("this file is a Word document: export the report as CSV or Excel")
        raise FileProblem("this file is a zip archive: unzip it and upload the CSV or Excel file")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    images = {
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
        b"BM": "a bitmap image",
    }
    for magic, what in images.items():
        if head.startswith(magic):
            raise FileProblem(f"this file is {what}, not a spreadsheet: export the report as CSV")
    start = data[:4096]
    # Binary files (and UTF-16 without its BOM) are full of NUL bytes; a stray one in a cell
    # of a text file is left to the cell check, which names its row and column.
    if start.count(0) > len(start) // 100 and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("this file is not text or a spreadsheet: export the report as CSV")
    return "csv"


def read_file(
    data: bytes, filename: str = "", sheet: str | None = None, *, headers_only: bool = False
) -> Table:
    """The file's cells, cleaned; with `headers_only`, a CSV's first row is all that is
    parsed (the rows are left empty)."""
    if not data.strip(b"\x00\r\n\t ,;"):
        raise FileProblem("the file is empty")
    kind = sniff(data)
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if kind != "csv" and suffix == "csv":
        raise FileProblem(
            f"this file is an Excel workbook (.{kind}) named .csv: rename it to .{kind}, "
            "or save it from Excel as “CSV UTF-8”"
        )
    if kind == "csv":
        text, encoding = decode(data)
        table = _csv_table(text, f"CSV, {encoding}", headers_only)
    else:
        table = _workbook_table(data, kind, sheet)
    _clean_cells(table)
    return table


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (with BOM)"
        except UnicodeDecodeError as exc:
            raise FileProblem("the file says it is UTF-8 but is not: save it as CSV UTF-8") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise FileProblem("the file says it is UTF-16 but is not: save it as CSV") from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp1252", "iso8859_15", "latin_1"]).best()
    if best is None:
        raise FileProblem("we cannot tell how this file's text is encoded; save it as CSV UTF-8")
    names = {"cp1252": "Windows-1252", "iso8859_15": "ISO-8859-15", "latin_1": "Latin-1"}
    return str(best), names.get(best.encoding, best.encoding)


def _csv_table(text: str, kind: str, headers_only: bool = False) -> Table:
    first_line = text[:4096].split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # csv.reader yields blank lines, so numbers match the spreadsheet's (header = row 1)
    records = [next(reader, [])] if headers_only else list(reader)
    return _table(kind, records)


def _table(kind: str, records: list[list[str]], sheets: list[str] | None = None) -> Table:
    headers = records[0] if records else []
    rows = [
        (number, record)
        for number, record in enumerate(records[1:], start=2)
        if "".join(record).strip()  # blank rows (Excel leaves many) are skipped
    ]
    return Table(kind, headers, rows, sheets or [])


def _workbook_table(data: bytes, kind: str, sheet: str | None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    label = "Excel workbook (.xlsx)" if kind == "xlsx" else "Excel 97-2003 workbook (.xls)"
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
        if sheet and sheet not in names:
            raise FileProblem(
                f"the workbook has no sheet called {sheet!r}; its sheets are " + ", ".join(names)
            )
        chosen = sheet or names[0]
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise FileProblem(f"this {label} cannot be read ({exc}): {_XLSX_NOTE}") from exc
    records = [[_cell_text(value) for value in row] for row in cells]
    return _table(f"{label}, sheet {chosen}", records, names)


def _cell_text(value: object) -> str:
    """A cell as the MIS wrote it: 1001.0 is "1001", a date is 2026-09-03."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _clean_cells(table: Table) -> None:
    table.headers = [clean(h) for h in table.headers]
    for number, cells in table.rows:
        if "".join(cells).isprintable():
            # No control, zero-width or non-breaking character anywhere in the row (all
            # are outside Python's printable set): each cell only needs trimming.
            cells[:] = [value.strip() for value in cells]
            continue
        for index, value in enumerate(cells):
            bad = control_character(value)
            if bad:
                header = table.headers[index] if index < len(table.headers) else ""
                table.problems.append(
                    (
                        number,
                        f"column {column_name(index)} ({header or 'no heading'}) holds the "
                        f"control character {bad}, which is not text: retype that cell",
                    )
                )
                value = without_controls(value)  # refused above; never stored, even in a preview
            cells[index] = clean(value)

"""Reading contact spreadsheets saved as CSV: a pure, streaming core (no database, no request).

Files come from Excel and LibreOffice in many shapes: UTF-8 with or without a BOM, Windows-1251,
separated by `,` `;` or tabs, with headers in English, Russian or Kazakh. `sniff` works out the shape,
`guess_mapping` matches headers to fields, `read_rows` streams raw rows, `clean_row` validates one and
`clean_batches` gives an import its clean rows in batches, duplicates merged.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Iterator

from contacts import validation as v

# field -> label shown in the mapping editor; the order is the order of the editor and of exports.
FIELDS = {
    "email": "Email", "name": "Name", "first_name": "First name", "last_name": "Last name",
    "salutation": "Salutation", "position": "Position", "organisation": "Organisation", "kind": "Kind",
    "country": "Country", "city": "City", "language": "Language", "tags": "Tags", "notes": "Notes",
    "mailbox": "Mailbox (personal/generic)", "posting_start": "Posting start", "posting_end": "Posting end",
    "lawful_basis": "Lawful basis", "source": "Source",
}
ALIASES = {
    "email": ["email", "e-mail", "e mail", "mail", "email address", "e-mail address", "почта", "эл. почта",
              "эл почта", "электронная почта", "адрес электронной почты", "e-mail адрес", "имейл", "емейл",
              "электрондық пошта", "пошта", "эл. пошта"],
    "name": ["name", "full name", "fullname", "contact", "contact name", "фио", "ф.и.о.", "имя", "полное имя",
             "аты-жөні", "аты жөні", "аты", "есімі"],
    "first_name": ["first name", "firstname", "given name", "forename"],
    "last_name": ["last name", "lastname", "surname", "family name", "фамилия", "тегі"],
    "salutation": ["salutation", "title", "form of address", "обращение", "протокольное обращение", "қаратпа"],
    "position": ["position", "job title", "role", "job", "должность", "лауазымы", "лауазым"],
    "organisation": ["organisation", "organization", "org", "company", "institution", "employer", "outlet",
                     "организация", "учреждение", "ведомство", "ұйым", "мекеме"],
    "kind": ["kind", "type", "category", "тип", "вид", "категория", "түрі"],
    "country": ["country", "country code", "страна", "ел", "мемлекет"],
    "city": ["city", "town", "город", "қала"],
    "language": ["language", "lang", "locale", "язык", "тіл"],
    "tags": ["tags", "tag", "labels", "lists", "теги", "метки", "тегтер"],
    "notes": ["notes", "note", "comment", "comments", "примечание", "примечания", "комментарий", "заметки",
              "ескертпе"],
    "mailbox": ["mailbox", "mailbox type", "address type", "тип адреса"],
    "posting_start": ["posting start", "posted since", "in post since", "start date", "начало работы",
                      "начало назначения"],
    "posting_end": ["posting end", "posted until", "end of posting", "end date", "окончание работы",
                    "окончание назначения"],
    "lawful_basis": ["lawful basis", "legal basis", "правовое основание", "основание"],
    "source": ["source", "источник", "дереккөз"],
}
_LOOKUP = {alias: field for field, names in ALIASES.items() for alias in names}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
LIMITS = {"name": 200, "salutation": 100, "position": 200, "organisation": 200, "city": 100, "notes": 5000,
          "lawful_basis": 200, "source": 200}


class UnreadableFile(Exception):
    """The file cannot be read as a spreadsheet at all; the message says why, for a person."""


@dataclass(frozen=True)
class FileShape:
    encoding: str  # "utf-8-sig" or "cp1251"
    delimiter: str
    headers: tuple[str, ...]


def normalise_header(header: str) -> str:
    text = header.replace("\ufeff", "").strip().lower().replace("ё", "е")
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip(" :*")


def guess_mapping(headers) -> list[str | None]:
    """The field each column feeds (None: ignored); a field is fed by its first matching column."""
    mapping, taken = [], set()
    for header in headers:
        field = _LOOKUP.get(normalise_header(header))
        if field is None:
            field = _LOOKUP.get(normalise_header(header).replace("-", " "))
        if field in taken:
            field = None
        mapping.append(field)
        if field:
            taken.add(field)
    return mapping


def detect_encoding(stream: IO[bytes], chunk: int = 1 << 20) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else Windows-1251. Rewinds the stream."""
    head = stream.read(4096)
    if not head.strip():
        raise UnreadableFile("the file is empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("this is an Excel workbook, not CSV: save it as CSV (UTF-8) and upload that")
    if b"\x00" in head:
        raise UnreadableFile("this is not a text file (UTF-16 or binary?): save it as CSV (UTF-8)")
    decoder = codecs.getincrementaldecoder("utf-8")()
    data = head
    try:
        while data:
            decoder.decode(data)
            data = stream.read(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1251"
    stream.seek(0)
    return encoding


def _detect_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Text(io.TextIOWrapper):
    """A text view of a binary stream that leaves the stream open when it goes away."""

    def __del__(self):
        try:
            self.detach()
        except ValueError:
            pass


def text_view(stream: IO[bytes], encoding: str) -> IO[str]:
    return _Text(stream, encoding=encoding, errors="strict", newline="")


def sniff(stream: IO[bytes]) -> FileShape:
    encoding = detect_encoding(stream)
    try:
        text = text_view(stream, encoding)
        first = ""
        while not first.strip():
            line = text.readline()
            if not line:
                raise UnreadableFile("the file has no header row")
            first = line
        delimiter = _detect_delimiter(first)
        headers = next(csv.reader([first], delimiter=delimiter))
    except UnicodeDecodeError:
        raise UnreadableFile("the file is neither UTF-8 nor Windows-1251 text") from None
    finally:
        stream.seek(0)
    headers = tuple(h.replace("\ufeff", "").strip() for h in headers)
    if not any(headers):
        raise UnreadableFile("the header row is empty")
    return FileShape(encoding, delimiter, headers)


def read_rows(stream: IO[bytes], shape: FileShape, mapping: list[str | None],
              only: set[str] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {field: raw text}); blank lines are skipped."""
    columns = [(i, f) for i, f in enumerate(mapping) if f and (only is None or f in only)]
    stream.seek(0)
    reader = csv.reader(text_view(stream, shape.encoding), delimiter=shape.delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1 or not any(c.strip() for c in cells):
                continue
            width = len(cells)
            yield number, {f: cells[i] for i, f in columns if i < width and cells[i].strip()}
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFile(f"the file cannot be read past row {reader.line_num}: {exc}") from None


Rejection = tuple[int, str, str]  # (row number, email as written, reason)
CellWarning = tuple[int, str, str, str]  # (row number, column as the file names it, value as written, reason)


@dataclass
class Cleaned:
    """One batch of clean rows, with the rows rejected and the cells left empty on the way."""
    rows: list[tuple[int, dict]]
    rejected: list[Rejection]
    warnings: list[CellWarning]


def clean_batches(stream: IO[bytes], shape: FileShape, mapping: list[str | None], size: int) -> Iterator[Cleaned]:
    """Read and clean the file in batches of (row number, clean row). An address that occurs more than
    once is held back, merged, and comes in the last batch."""
    duplicates = _duplicate_keys(stream, shape, mapping)
    column = {f: shape.headers[i] or f"column {i + 1}" for i, f in enumerate(mapping) if f}
    merged: dict[str, tuple[int, dict]] = {}
    batch: list[tuple[int, dict]] = []
    rejected: list[Rejection] = []
    warnings: list[CellWarning] = []
    for number, raw in read_rows(stream, shape, mapping):
        emptied: list[tuple[str, str, str]] = []
        try:
            row = clean_row(raw, emptied)
        except ValueError as exc:
            rejected.append((number, raw.get("email", ""), str(exc)))
            continue
        warnings += [(number, column[f], value, reason) for f, value, reason in emptied]
        if row["email"] in duplicates:
            first = merged.get(row["email"])
            merged[row["email"]] = (number, row) if first is None else (first[0], merge_rows(first[1], row))
            continue
        batch.append((number, row))
        if len(batch) >= size:
            yield Cleaned(batch, rejected, warnings)
            batch, rejected, warnings = [], [], []
    yield Cleaned(batch + sorted(merged.values(), key=lambda item: item[0]), rejected, warnings)


def _duplicate_keys(stream: IO[bytes], shape: FileShape, mapping: list[str | None]) -> set[str]:
    """First pass: the addresses that occur more than once (compared as the importer will store them)."""
    seen: set[str] = set()
    dups: set[str] = set()
    for _, raw in read_rows(stream, shape, mapping, only={"email"}):
        key = raw.get("email", "").strip().lower()
        if key in seen:
            dups.add(key)
        seen.add(key)
    return dups


def merge_rows(first: dict, later: dict) -> dict:
    """Duplicates in one file: later non-empty values win, tags are combined."""
    merged = {**first, **{k: v for k, v in later.items() if k != "tags"}}
    tags = list(first.get("tags", []))
    tags += [t for t in later.get("tags", []) if t not in tags]
    if tags:
        merged["tags"] = tags
    return merged


# Fields a person is better off importing without than not at all: a value that cannot be read is left
# empty (and said so in `emptied`) instead of rejecting the row.
SOFT = {"country"}


def clean_row(raw: dict[str, str], emptied: list[tuple[str, str, str]] | None = None) -> dict:
    """Validated values of one row: every field present is clean, absent fields are left out.

    Raises ValueError listing every problem of the row. An unreadable value of a `SOFT` field is left
    out instead, and (field, value, reason) appended to `emptied`.
    """
    clean: dict = {}
    problems: list[str] = []
    for field, value in raw.items():
        if "\x00" in value:
            raise ValueError("the row contains a NUL character (a damaged or binary file?)")
        try:
            if field == "email":
                clean["email"] = v.clean_email(value)
            elif field in SOFT:
                try:
                    clean[field] = _clean_repeated(field, value)
                except ValueError as exc:
                    if emptied is not None:
                        emptied.append((field, value.strip(), f"{exc}; left empty"))
            elif field in _REPEATED:
                clean[field] = _clean_repeated(field, value)
            elif field == "notes":
                if len(value) > LIMITS["notes"]:
                    raise ValueError(f"notes are longer than {LIMITS['notes']} characters")
                clean["notes"] = value.strip()
            elif field in ("first_name", "last_name"):
                clean[field] = " ".join(value.split())
            else:
                clean[field] = v.clip(value, LIMITS[field], field)
        except ValueError as exc:
            problems.append(str(exc))
    if "email" not in raw:
        problems.insert(0, "email is missing")
    if "name" not in clean and ("first_name" in clean or "last_name" in clean):
        clean["name"] = " ".join(p for p in (clean.get("first_name"), clean.get("last_name")) if p)[:200]
    clean.pop("first_name", None)
    clean.pop("last_name", None)
    if problems:
        raise ValueError("; ".join(problems))
    if "tags" in clean:
        clean["tags"] = list(clean["tags"])
    return clean


# Fields whose values repeat down a list (a few countries, organisations and tag sets for thousands of
# people): each distinct value is cleaned once. Names, addresses and notes are mostly unique, so
# caching them would only churn the cache.
_REPEATED = {"country", "language", "kind", "mailbox", "posting_start", "posting_end", "tags", "salutation",
             "position", "organisation", "city", "lawful_basis", "source"}


@lru_cache(maxsize=16384)
def _clean_repeated(field: str, value: str):
    if field == "country":
        return v.clean_country(value)
    if field == "language":
        return v.clean_language(value)
    if field == "kind":
        return v.clean_kind(value)
    if field == "mailbox":
        return v.clean_mailbox(value)
    if field in ("posting_start", "posting_end"):
        return v.clean_date(value)
    if field == "tags":
        return tuple(v.clean_tags(value))  # immutable in the cache; each row gets its own list
    return v.clip(value, LIMITS[field], field)


def sample(stream: IO[bytes], shape: FileShape, rows: int = 5) -> list[list[str]]:
    """The first data rows as the file has them, for the preview."""
    stream.seek(0)
    reader = csv.reader(text_view(stream, shape.encoding), delimiter=shape.delimiter)
    found: list[list[str]] = []
    try:
        next(reader, None)
        for cells in reader:
            if any(c.strip() for c in cells):
                found.append((cells + [""] * len(shape.headers))[:len(shape.headers)])
            if len(found) >= rows:
                break
    except (UnicodeDecodeError, csv.Error):
        pass
    stream.seek(0)
    return found

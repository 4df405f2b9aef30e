"""Importing contacts from a CSV file: validate every row, merge duplicates, write in batches.

Known addresses update their contact (empty cells never blank a field; tags are only added), new
ones create a contact, suppressed addresses are never revived, and bad rows are rejected with their
row number while the good ones are kept. The whole import is one transaction: a failure writes
nothing, and a dry run does the same work and rolls it back, so its counts are exact.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable

from sqlalchemy import bindparam, insert, select, update

from contacts.models import Contact, Organisation, Tag, contact_tags
from contacts.parsing import FileShape, UnreadableFile, clean_row, guess_mapping, read_rows, sniff
from contacts.suppression import suppressed_among
from core.db import db, utcnow
from core.errors import DomainError, ValidationError

BATCH = 2000
COMPARED = ("name", "salutation", "position", "organisation_id", "kind", "country", "city", "language",
            "mailbox", "posting_start", "posting_end", "lawful_basis", "notes")
# Core statements with expanding IN lists: compiled once, reused for every batch.
_CONTACTS = Contact.__table__
_EXISTING = (select(_CONTACTS.c.id, _CONTACTS.c.email, *[_CONTACTS.c[f] for f in COMPARED])
             .where(_CONTACTS.c.email.in_(bindparam("emails", expanding=True))))
_IDS = select(_CONTACTS.c.email, _CONTACTS.c.id).where(_CONTACTS.c.email.in_(bindparam("emails", expanding=True)))
_TAGS_OF = (select(contact_tags.c.contact_id, Tag.__table__.c.name)
            .join(Tag.__table__, Tag.__table__.c.id == contact_tags.c.tag_id)
            .where(contact_tags.c.contact_id.in_(bindparam("ids", expanding=True))))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[tuple[int, str, str]] = field(default_factory=list)  # (row, email, reason)
    dry_run: bool = False

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "dry_run": self.dry_run,
                "rejections": [{"row": r, "email": e, "reason": why} for r, e, why in self.rejections]}


def check_mapping(shape: FileShape, mapping: list[str | None] | None) -> list[str | None]:
    mapping = list(mapping) if mapping is not None else guess_mapping(shape.headers)
    if len(mapping) != len(shape.headers):
        raise ValidationError("mapping", f"expected {len(shape.headers)} columns, got {len(mapping)}")
    used = [f for f in mapping if f]
    if len(used) != len(set(used)):
        raise ValidationError("mapping", "a field is fed by two columns")
    if "email" not in used:
        found = ", ".join(h or "(blank)" for h in shape.headers)
        raise ValidationError("mapping", f"no column holds the email address (columns found: {found})")
    return mapping


def import_stream(stream: IO[bytes], *, mapping: list[str | None] | None = None, tags: Iterable[str] = (),
                  dry_run: bool = False, source: str | None = None) -> ImportResult:
    """Import a seekable binary CSV stream. Raises DomainError if the file cannot be read at all."""
    try:
        shape = sniff(stream)
        mapping = check_mapping(shape, mapping)
        duplicates = _duplicate_keys(stream, shape, mapping)
        run = _Run(tags=[t for t in tags if t], dry_run=dry_run, source=source)
        try:
            merged: dict[str, tuple[int, dict]] = {}
            batch: list[tuple[int, dict]] = []
            for number, raw in read_rows(stream, shape, mapping):
                try:
                    row = clean_row(raw)
                except ValueError as exc:
                    run.reject(number, raw.get("email", ""), str(exc))
                    continue
                if row["email"] in duplicates:
                    first = merged.get(row["email"])
                    merged[row["email"]] = (number, row) if first is None else (first[0], _merge(first[1], row))
                    continue
                batch.append((number, row))
                if len(batch) >= BATCH:
                    run.write(batch)
                    batch = []
            run.write(batch + sorted(merged.values(), key=lambda item: item[0]))
        except BaseException:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        run.result.rejections.sort()
        return run.result
    except UnreadableFile as exc:
        raise DomainError(f"cannot read this file: {exc}") from None


def import_file(path: str | Path, **options) -> ImportResult:
    with open(path, "rb") as stream:
        return import_stream(stream, **options)


def _duplicate_keys(stream, shape, mapping) -> set[str]:
    """First pass: the addresses that occur more than once (compared as the importer will store them)."""
    seen: set[str] = set()
    dups: set[str] = set()
    for _, raw in read_rows(stream, shape, mapping, only={"email"}):
        key = raw.get("email", "").strip().lower()
        if key in seen:
            dups.add(key)
        seen.add(key)
    return dups


def _merge(first: dict, later: dict) -> dict:
    """Duplicates in one file: later non-empty values win, tags are combined."""
    merged = {**first, **{k: v for k, v in later.items() if k != "tags"}}
    tags = list(first.get("tags", []))
    tags += [t for t in later.get("tags", []) if t not in tags]
    if tags:
        merged["tags"] = tags
    return merged


class _Run:
    def __init__(self, tags: list[str], dry_run: bool, source: str | None):
        self.tags, self.source = tags, source
        self.result = ImportResult(dry_run=dry_run)
        self.org_ids: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}

    def reject(self, number: int, email: str, reason: str) -> None:
        self.result.rejected += 1
        self.result.rejections.append((number, email.strip()[:254], reason))

    def write(self, batch: list[tuple[int, dict]]) -> None:
        if not batch:
            return
        batch = _merge_within(batch)
        emails = [row["email"] for _, row in batch]
        conn = db.session.connection()
        existing = {c.email: c for c in conn.execute(_EXISTING, {"emails": emails})}
        held = _tags_of([c.id for c in existing.values()])
        suppressed = suppressed_among(e for e in emails if e not in existing)
        self._ensure_organisations([row for _, row in batch])
        self._ensure_tags({t for _, row in batch for t in row.get("tags", [])} | set(self.tags))
        now = utcnow()
        new_rows, new_tags, changes, links = [], [], [], []
        for number, row in batch:
            tags = list(dict.fromkeys(row.pop("tags", []) + self.tags))
            values = self._values(row)
            found = existing.get(row["email"])
            if found is None:
                reason = suppressed.get(row["email"])
                if reason == "erased":
                    self.reject(number, row["email"], "this address was erased on request and is not imported again")
                    continue
                values.update(email=row["email"], status=reason or "active", source=values.get("source", self.source),
                              created_at=now, updated_at=now)
                values = {**dict.fromkeys(COMPARED), **values, "name": values.get("name") or ""}
                new_rows.append(values)
                new_tags.append(tags)
                continue
            changed = {k: v for k, v in values.items() if k in COMPARED and getattr(found, k) != v}
            missing = [t for t in tags if t not in held.get(found.id, ())]
            if not changed and not missing:
                self.result.unchanged += 1
                continue
            self.result.updated += 1
            if changed:
                changes.append({"_id": found.id, **changed, "updated_at": now})
            links += [{"contact_id": found.id, "tag_id": self.tag_ids[t]} for t in missing]
        if new_rows:
            insert_rows(conn, _CONTACTS, new_rows)
            self.result.created += len(new_rows)
            ids = dict(conn.execute(_IDS, {"emails": [r["email"] for r in new_rows]}).all())
            for values, tags in zip(new_rows, new_tags):
                links += [{"contact_id": ids[values["email"]], "tag_id": self.tag_ids[t]} for t in tags]
        for keys, group in _by_keys(changes).items():
            conn.execute(update(_CONTACTS).where(_CONTACTS.c.id == bindparam("_id"))
                         .values({k: bindparam(k) for k in keys if k != "_id"}), group)
        if links:
            insert_rows(conn, contact_tags, links)

    def _values(self, row: dict) -> dict:
        values = {k: v for k, v in row.items() if k not in ("organisation", "email")}
        if "organisation" in row:
            values["organisation_id"] = self.org_ids[row["organisation"]]
        return values

    def _ensure_organisations(self, rows: list[dict]) -> None:
        wanted = {}
        for row in rows:
            name = row.get("organisation")
            if name and name not in self.org_ids and name not in wanted:
                wanted[name] = {"name": name, "kind": row.get("kind"), "country": row.get("country"),
                                "city": row.get("city"), "created_at": utcnow()}
        if not wanted:
            return
        found = db.session.execute(select(Organisation.name, Organisation.id).where(Organisation.name.in_(wanted)))
        self.org_ids.update(dict(found.all()))
        missing = [values for name, values in wanted.items() if name not in self.org_ids]
        if missing:
            rows = db.session.execute(insert(Organisation).returning(Organisation.name, Organisation.id), missing)
            self.org_ids.update(dict(rows.all()))

    def _ensure_tags(self, names: set[str]) -> None:
        wanted = [n for n in names if n not in self.tag_ids]
        if not wanted:
            return
        self.tag_ids.update(dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted))).all()))
        missing = [{"name": n} for n in wanted if n not in self.tag_ids]
        if missing:
            self.tag_ids.update(dict(db.session.execute(insert(Tag).returning(Tag.name, Tag.id), missing).all()))


def _merge_within(batch: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Addresses that only collide once normalised (rare): merged like any in-file duplicate."""
    by_email: dict[str, tuple[int, dict]] = {}
    for number, row in batch:
        first = by_email.get(row["email"])
        by_email[row["email"]] = (number, row) if first is None else (first[0], _merge(first[1], row))
    return list(by_email.values())


def insert_rows(conn, table, rows: list[dict]) -> None:
    """INSERT many rows the fastest way the database offers: COPY on PostgreSQL, executemany elsewhere.

    Values go through the columns' own bind processors, as `conn.execute(table.insert(), rows)` would,
    without SQLAlchemy building a parameter dictionary per row: at 100,000 rows that bookkeeping
    costs more than the database does. Runs on the session's connection, inside its transaction.
    """
    dialect = conn.dialect
    columns = list(rows[0])
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    values = [tuple(p(row[c]) if p else row[c] for c, p in zip(columns, processors)) for row in rows]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.close()
        return
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", values)


def _by_keys(changes: list[dict]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    return groups


def _tags_of(contact_ids: list[int]) -> dict[int, set[str]]:
    held: dict[int, set[str]] = {}
    if contact_ids:
        for contact_id, name in db.session.connection().execute(_TAGS_OF, {"ids": contact_ids}):
            held.setdefault(contact_id, set()).add(name)
    return held


def write_rejection_report(result: ImportResult, path: str | Path) -> None:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel shows Cyrillic), for the person to fix."""
    from core.spreadsheets import safe_cell

    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "email", "reason"])
        for number, email, reason in result.rejections:
            writer.writerow([number, safe_cell(email), safe_cell(reason)])

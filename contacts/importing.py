"""Importing contacts from a CSV file: validate every row, merge duplicates, write in batches.

Known addresses update their contact (empty cells never blank a field; tags are only added), new
ones create a contact, suppressed addresses are never revived, and bad rows are rejected with their
row number while the good ones are kept. The whole import is one transaction: a failure writes
nothing, and a dry run does the same work and rolls it back, so its counts are exact.

Speed (see bench/contacts_import.py): a thread reads and cleans the next batch while the database
writes the last; each batch costs three lookups whatever its size, and new rows go in by COPY on
PostgreSQL and executemany on SQLite, compared and written as tuples rather than ORM objects.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from queue import Full, Queue
from types import SimpleNamespace
from typing import IO, Callable, Iterable, Iterator

from sqlalchemy import bindparam, insert, select, text, update

from contacts.models import Contact, Organisation, Tag, contact_tags
from contacts.parsing import FileShape, UnreadableFile, clean_batches, guess_mapping, merge_rows, sniff
from contacts.suppression import one_of, suppressed_among
from core.db import db, utcnow
from core.errors import DomainError, ValidationError

BATCH = 2000
COMPARED = ("name", "salutation", "position", "organisation_id", "kind", "country", "city", "language",
            "mailbox", "posting_start", "posting_end", "lawful_basis", "notes")
_CONTACTS = Contact.__table__
# A new contact's columns, in the order `_Run.write` builds its values.
_NEW_COLUMNS = ("email", "status", "source", "created_at", "updated_at", *COMPARED)
# A row of `existing` is (email, *COMPARED, id).
_AT = {name: i for i, name in enumerate(COMPARED, start=1)}
_ID = len(COMPARED) + 1


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[tuple[int, str, str]] = field(default_factory=list)  # (row, email, reason)
    warnings: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, column, value, reason)
    dry_run: bool = False

    @property
    def handled(self) -> int:
        """Rows dealt with so far, one per distinct address (and one per rejected row)."""
        return self.created + self.updated + self.unchanged + self.rejected

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "dry_run": self.dry_run,
                "rejections": [{"row": r, "email": e, "reason": why} for r, e, why in self.rejections],
                "warnings": [{"row": r, "column": c, "value": value, "reason": why}
                             for r, c, value, why in self.warnings]}


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
                  dry_run: bool = False, source: str | None = None,
                  progress: Callable[[int], None] | None = None,
                  finish: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Import a seekable binary CSV stream. Raises DomainError if the file cannot be read at all.

    `progress(rows)` is called after each batch with the rows handled so far (what the result counts);
    `finish(result)` just before the commit, to write what must go in with the contacts or not at all.
    """
    try:
        shape = sniff(stream)
        mapping = check_mapping(shape, mapping)
        run = _Run(tags=[t for t in tags if t], dry_run=dry_run, source=source)
        try:
            for cleaned in _ahead(clean_batches(stream, shape, mapping, BATCH)):
                for number, email, reason in cleaned.rejected:
                    run.reject(number, email, reason)
                run.result.warnings += cleaned.warnings
                run.write(cleaned.rows)
                if progress is not None:
                    progress(run.result.handled)
            run.result.rejections.sort()
            run.result.warnings.sort()
            if not dry_run and finish is not None:
                finish(run.result)
        except BaseException:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        return run.result
    except UnreadableFile as exc:
        raise DomainError(f"cannot read this file: {exc}") from None


def import_file(path: str | Path, **options) -> ImportResult:
    with open(path, "rb") as stream:
        return import_stream(stream, **options)


def _ahead(items: Iterator, depth: int = 2) -> Iterator:
    """`items`, produced by a thread up to `depth` ahead of the consumer.

    Reading and cleaning the next batch then goes on while the database writes the last one (the
    drivers release the GIL while they wait), instead of after it. An exception in the thread is
    raised in the consumer; a consumer that stops early stops the thread.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
        except BaseException as exc:  # noqa: B036 - handed to the consumer, which raises it
            put((False, exc))
            return
        put((False, None))

    thread = threading.Thread(target=produce, name="contacts-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        thread.join()


class _Run:
    """One import. A dry run (the page's preview) makes the same decisions from the same lookups but
    writes nothing: new organisations, tags and contacts get stand-in ids (negative), and what the
    run would have written is remembered in `virtual`, so its counts are the real import's. Writing
    and rolling back instead cost as much as the import and left the tables full of dead rows and
    index entries that slowed the real import after it."""

    def __init__(self, tags: list[str], dry_run: bool, source: str | None):
        self.tags, self.source, self.dry_run = tags, source, dry_run
        self.result = ImportResult(dry_run=dry_run)
        self.org_ids: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}
        self.tag_sets: dict[tuple[str, ...], tuple[int, ...]] = {}
        self.stand_in_ids = itertools.count(-1, -1)
        self.virtual: dict[str, tuple] = {}  # dry run: email -> the row as `existing` would find it
        self.virtual_links: set[tuple[int, int]] = set()

    def reject(self, number: int, email: str, reason: str) -> None:
        self.result.rejected += 1
        self.result.rejections.append((number, email.strip()[:254], reason))

    def write(self, batch: list[tuple[int, dict]]) -> None:
        """Write one batch: three lookups for the whole batch, then bulk inserts and updates.

        Per row there is only dictionary work; the rows are compared as plain tuples, not ORM objects.
        """
        if not batch:
            return
        emails = [row["email"] for _, row in batch]
        if len(set(emails)) < len(emails):
            batch = _merge_within(batch)
            emails = [row["email"] for _, row in batch]
        conn = db.session.connection()
        sql = _statements(conn.dialect.name)
        existing = {found[0]: found for found in conn.execute(sql.existing, {"emails": emails}).all()}
        held: set[tuple[int, int]] = set()  # (contact_id, tag_id) of the known contacts
        if existing:
            ids = [found[_ID] for found in existing.values()]
            held = {(contact_id, tag_id) for contact_id, tag_id in conn.execute(sql.tags_of, {"ids": ids}).all()}
        if self.virtual:
            existing.update((e, self.virtual[e]) for e in emails if e in self.virtual)
            held |= self.virtual_links
        suppressed = suppressed_among(e for e in emails if e not in existing)
        self._ensure_organisations([row for _, row in batch])
        self._ensure_tags({t for _, row in batch for t in row.get("tags", ())} | set(self.tags))
        now = utcnow()
        new_rows, new_tags, changes, links = [], [], [], []
        for number, row in batch:
            email = row.pop("email")
            tag_ids = self._tag_ids_for(tuple(row.pop("tags", ())))
            if "organisation" in row:
                row["organisation_id"] = self.org_ids[row.pop("organisation")]
            found = existing.get(email)
            if found is None:
                reason = suppressed.get(email)
                if reason == "erased":
                    self.reject(number, email, "this address was erased on request and is not imported again")
                    continue
                compared = [row.get(k) for k in COMPARED]
                compared[0] = compared[0] or ""  # name
                new_rows.append((email, reason or "active", row.get("source", self.source), now, now, *compared))
                new_tags.append(tag_ids)
                continue
            changed = {k: v for k, v in row.items() if k in _AT and found[_AT[k]] != v}
            contact_id = found[_ID]
            missing = [t for t in tag_ids if (contact_id, t) not in held]
            if not changed and not missing:
                self.result.unchanged += 1
                continue
            self.result.updated += 1
            if changed:
                changes.append({"_id": contact_id, **changed, "updated_at": now})
                if self.dry_run:
                    after = list(found)
                    for k, value in changed.items():
                        after[_AT[k]] = value
                    self.virtual[email] = tuple(after)
            links += [(contact_id, t) for t in missing]
        if self.dry_run:
            for values, tag_ids in zip(new_rows, new_tags):
                contact_id = next(self.stand_in_ids)
                self.virtual[values[0]] = (values[0], *values[5:], contact_id)
                self.virtual_links.update((contact_id, t) for t in tag_ids)
            self.virtual_links.update(links)
            self.result.created += len(new_rows)
            return
        if new_rows:
            for contact_id, tag_ids in zip(_insert_contacts(conn, new_rows), new_tags):
                links += [(contact_id, t) for t in tag_ids]
            self.result.created += len(new_rows)
        for keys, group in _by_keys(changes).items():
            conn.execute(update(_CONTACTS).where(_CONTACTS.c.id == bindparam("_id"))
                         .values({k: bindparam(k) for k in keys if k != "_id"}), group)
        if links:
            insert_values(conn, contact_tags, ("contact_id", "tag_id"), links)

    def _tag_ids_for(self, row_tags: tuple[str, ...]) -> tuple[int, ...]:
        """The row's tags and the import's own, as ids; a list has few distinct tag sets, each resolved once."""
        ids = self.tag_sets.get(row_tags)
        if ids is None:
            ids = self.tag_sets[row_tags] = tuple(self.tag_ids[t] for t in dict.fromkeys(row_tags + tuple(self.tags)))
        return ids

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
        if missing and self.dry_run:
            self.org_ids.update((values["name"], next(self.stand_in_ids)) for values in missing)
        elif missing:
            rows = db.session.execute(insert(Organisation).returning(Organisation.name, Organisation.id), missing)
            self.org_ids.update(dict(rows.all()))

    def _ensure_tags(self, names: set[str]) -> None:
        wanted = [n for n in names if n not in self.tag_ids]
        if not wanted:
            return
        self.tag_ids.update(dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted))).all()))
        missing = [{"name": n} for n in wanted if n not in self.tag_ids]
        if missing and self.dry_run:
            self.tag_ids.update((values["name"], next(self.stand_in_ids)) for values in missing)
        elif missing:
            self.tag_ids.update(dict(db.session.execute(insert(Tag).returning(Tag.name, Tag.id), missing).all()))


def _merge_within(batch: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Addresses that only collide once normalised (rare): merged like any in-file duplicate."""
    by_email: dict[str, tuple[int, dict]] = {}
    for number, row in batch:
        first = by_email.get(row["email"])
        by_email[row["email"]] = (number, row) if first is None else (first[0], merge_rows(first[1], row))
    return list(by_email.values())


def _insert_contacts(conn, rows: list[tuple]) -> list[int]:
    """Insert new contacts (values in the order of `_NEW_COLUMNS`); their ids, in the same order."""
    if conn.dialect.name == "postgresql":
        # COPY returns nothing: take the ids from the column's sequence first, as its default would,
        # instead of looking the new rows up again.
        ids = conn.execute(_RESERVE_IDS, {"n": len(rows)}).scalars().all()
        insert_values(conn, _CONTACTS, ("id", *_NEW_COLUMNS), [(i, *values) for i, values in zip(ids, rows)])
        return ids
    insert_values(conn, _CONTACTS, _NEW_COLUMNS, rows)
    found = dict(conn.execute(_statements(conn.dialect.name).ids, {"emails": [values[0] for values in rows]}).all())
    return [found[values[0]] for values in rows]


_RESERVE_IDS = text("SELECT nextval(pg_get_serial_sequence('contacts', 'id')) FROM generate_series(1, :n)")


def insert_rows(conn, table, rows: list[dict]) -> None:
    """INSERT many rows given as dictionaries with the same keys (see `insert_values`)."""
    columns = list(rows[0])
    insert_values(conn, table, columns, [tuple(row[c] for c in columns) for row in rows])


def insert_values(conn, table, columns, rows: list[tuple]) -> None:
    """INSERT many rows the fastest way the database offers: COPY on PostgreSQL, executemany elsewhere.

    Values go through the columns' own bind processors, as `conn.execute(table.insert(), rows)` would,
    without SQLAlchemy building a parameter dictionary per row: at 100,000 rows that bookkeeping
    costs more than the database does. Runs on the session's connection, inside its transaction.
    """
    dialect = conn.dialect
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    if any(processors):  # column by column: most columns have none
        cells = list(zip(*rows))
        for i, process in enumerate(processors):
            if process:
                done: dict = {}  # the timestamps and dates of a batch repeat: each is processed once
                cells[i] = [done[v] if v in done else done.setdefault(v, process(v)) for v in cells[i]]
        rows = list(zip(*cells))
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.close()
        return
    marks = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)


def _by_keys(changes: list[dict]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    return groups


@lru_cache(maxsize=None)
def _statements(dialect: str) -> SimpleNamespace:
    """The batch lookups, each taking its whole list as one parameter (see `one_of`)."""
    return SimpleNamespace(
        existing=select(_CONTACTS.c.email, *[_CONTACTS.c[f] for f in COMPARED], _CONTACTS.c.id)
        .where(one_of(_CONTACTS.c.email, "emails", dialect)),
        ids=select(_CONTACTS.c.email, _CONTACTS.c.id).where(one_of(_CONTACTS.c.email, "emails", dialect)),
        tags_of=select(contact_tags.c.contact_id, contact_tags.c.tag_id)
        .where(one_of(contact_tags.c.contact_id, "ids", dialect)),
    )

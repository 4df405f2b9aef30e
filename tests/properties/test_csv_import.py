"""Contact CSV files as spreadsheets and adversaries make them, tried against the real importer.

Cyrillic and Kazakh text, bidi marks, NUL bytes, cells past every limit, `,` `;` or tab, UTF-8 with or
without a BOM and Windows-1251: a file is read or refused with a clear reason, every row is imported
or rejected with its number, a second import changes nothing, and what is stored is what the
validation promises (one line, single spaces, within the column's limit, no NUL).
"""
from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from contacts import validation
from contacts.parsing import LIMITS, UnreadableFile, clean_row, guess_mapping, read_rows, sample, sniff
from tests.properties.strategies import BIDI, KAZAKH, words

HEADERS = {
    "email": ["Email", "Эл. почта", "Электрондық пошта"],
    "name": ["Name", "ФИО", "Аты-жөні"],
    "country": ["Country", "Страна", "Ел"],
    "organisation": ["Organisation", "Организация", "Ұйым"],
    "notes": ["Notes", "Примечание"],
    "tags": ["Tags", "Тегтер"],
}
LOCALS = ["anna", "Ivan.Petrov", "aigul", " Aigul ", "ANNA"]
DOMAINS = ["example.org", "mfa.example.kz", "пример.рф", "Example.ORG"]
GOOD = {"email": "", "name": "Әлия Қасымқызы", "country": "KZ", "organisation": "МИД", "notes": "ok", "tags": "eu"}
COUNTRIES = ["KZ", "kaz", "Kazakhstan", "Казахстан", "Германия", "DE", "Атлантида", "", "Қазақстан"]

valid_emails = st.builds(lambda a, b: f"{a}@{b}", st.sampled_from(LOCALS), st.sampled_from(DOMAINS))
emails = st.one_of(valid_emails, valid_emails, words(30), st.just(""))
long_text = st.integers(180, 5200).map(lambda n: ("Әлия Қ\u200fasым " * (n // 10 + 1))[:n])
cells = {
    "email": emails,
    "name": st.one_of(words(60), long_text, st.just("")),
    "country": st.one_of(st.sampled_from(COUNTRIES), words(12)),
    "organisation": st.one_of(st.sampled_from(["МИД", "Посольство Германии", "Елшілік"]), words(30), long_text),
    "notes": st.one_of(words(60), long_text),
    "tags": st.one_of(st.sampled_from(["eu; media", "ЕО|баспасөз", "eu"]), words(30)),
}


@st.composite
def spreadsheets(draw):
    """(file bytes, the records written, the delimiter)."""
    fields = ["email"] + draw(st.lists(st.sampled_from(list(HEADERS)[1:]), min_size=1, max_size=5, unique=True))
    fields = draw(st.permutations(fields))
    header = [draw(st.sampled_from(HEADERS[f])) for f in fields]
    rows = draw(st.lists(st.one_of(st.fixed_dictionaries({f: cells[f] for f in fields}).map(lambda r: [r[f] for f in fields]),
                                   st.lists(st.sampled_from(["", " ", "\t"]), max_size=3)),
                         max_size=10))
    if rows and draw(st.booleans()):  # a NUL byte, often past the first 4 KiB that the sniffer reads
        row = draw(st.integers(0, len(rows) - 1))
        if len(rows[row]) == len(fields):
            if draw(st.booleans()):  # in an otherwise good row, which would be kept without the NUL
                rows[row] = [GOOD[f] for f in fields]
                rows[row][fields.index("email")] = draw(valid_emails)
            col = draw(st.integers(0, len(fields) - 1))
            at = draw(st.integers(0, len(rows[row][col])))
            rows[row][col] = rows[row][col][:at] + "\x00" + rows[row][col][at:]
        if draw(st.integers(0, 3)):
            rows.insert(0, ["Ә" * 2100] * len(fields))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    records = [header] + rows
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(records)
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]))
    if encoding == "cp1251":
        try:
            data = text.encode("cp1251")
            data.decode("utf-8")
            encoding = "utf-8"  # these bytes read as UTF-8 too: a spreadsheet could not tell either
        except UnicodeEncodeError:
            encoding = "utf-8"  # Kazakh letters and U+202E are not in Windows-1251
        except UnicodeDecodeError:
            pass
    return text.encode(encoding), records, delimiter


def data_rows(records: list[list[str]]) -> set[int]:
    """Row numbers as a spreadsheet shows them, of the rows that hold anything."""
    return {n for n, cells in enumerate(records, start=1) if n > 1 and any(c.strip() for c in cells)}


# --- the pure layer: any bytes at all -------------------------------------------------------------

def _read_everything(data: bytes) -> None:
    stream = io.BytesIO(data)
    shape = sniff(stream)
    mapping = guess_mapping(shape.headers)
    sample(stream, shape)
    for number, raw in read_rows(stream, shape, mapping):
        assert number >= 2
        try:
            clean_row(raw)
        except ValueError as exc:
            assert str(exc), "a rejected row must say why"


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), spreadsheets().map(lambda f: f[0]),
                 st.text(alphabet=KAZAKH + BIDI + ",;\t\"\r\n\x00ab", max_size=200).map(str.encode)))
def test_reading_any_bytes_raises_nothing_but_a_clear_unreadable_file(data):
    try:
        _read_everything(data)
    except UnreadableFile as exc:
        assert str(exc) and "Traceback" not in str(exc)


@settings(max_examples=150, deadline=None)
@given(words(60).flatmap(lambda w: st.sampled_from([w, w + "\x00", "\x85" + w + "\u2028", w * 5])))
def test_clipped_text_is_one_line_of_single_spaces_within_its_limit(value):
    try:
        clean = validation.clip(value, LIMITS["name"], "name")
    except ValueError as exc:
        assert "longer than 200" in str(exc)
        return
    assert clean == " ".join(clean.split()) and len(clean) <= LIMITS["name"]


# --- the importer on a real database --------------------------------------------------------------

def _empty(db):
    from contacts.models import Contact, Organisation, Tag, contact_tags

    for table in (contact_tags, Contact.__table__, Organisation.__table__, Tag.__table__):
        db.session.execute(delete(table))
    db.session.commit()


def _stored(db) -> dict:
    from contacts.models import Contact

    return {c.email: (c.name, c.country, c.notes, c.organisation.name if c.organisation else None,
                      tuple(c.tag_names), c.status, c.updated_at)
            for c in db.session.execute(select(Contact)).scalars()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spreadsheet=spreadsheets())
def test_every_row_is_imported_or_rejected_with_its_number_and_a_second_import_changes_nothing(app, spreadsheet):
    from contacts.importing import import_stream
    from core.db import db
    from core.errors import DomainError

    data, records, _ = spreadsheet
    with app.app_context():
        _empty(db)
        try:
            first = import_stream(io.BytesIO(data))
        except DomainError as exc:  # the whole file refused, with its reason, and nothing written
            assert str(exc).startswith("cannot read this file: ") or "email" in str(exc)
            assert _stored(db) == {}
            return
        expected = data_rows(records)
        rejected = {number for number, _, _ in first.rejections}
        assert rejected <= expected, "a rejection names a row the file does not have"
        assert all(reason.strip() for _, _, reason in first.rejections), "a rejection without a reason"
        assert len(rejected) == len(first.rejections) == first.rejected
        stored = _stored(db)
        # Every row that was not rejected is stored, under its address as the validation cleans it.
        for number in sorted(expected - rejected):
            cells = dict(zip([guess_mapping(records[0])[i] for i in range(len(records[0]))], records[number - 1]))
            assert validation.clean_email(cells["email"]) in stored, f"row {number} was neither imported nor rejected"
        assert first.created == len(stored)
        # What the validation promises about stored text.
        for email, (name, _, notes, organisation, tags, _, _) in stored.items():
            for value, limit in ((name, LIMITS["name"]), (organisation, LIMITS["organisation"])):
                if value is not None:
                    assert "\x00" not in value and value == " ".join(value.split()) and len(value) <= limit
            assert notes is None or ("\x00" not in notes and len(notes) <= LIMITS["notes"])
            assert all(t and len(t) <= 80 and t == " ".join(t.split()) for t in tags)

        second = import_stream(io.BytesIO(data))
        assert (second.created, second.updated) == (0, 0), second.summary()
        assert second.unchanged == len(stored)
        assert second.rejections == first.rejections
        assert _stored(db) == stored


def test_a_nul_byte_deep_in_a_file_rejects_its_row_and_keeps_the_others(app):
    """Found by the property above: a NUL past the first 4 KiB reached the database (PostgreSQL refuses it)."""
    from contacts.importing import import_stream
    from core.db import db

    padding = [[f"p{i}@example.org", "Әлия " * 40] for i in range(40)]
    rows = [["Email", "Name"], *padding, ["nul@example.org", "Ai\x00gul"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    with app.app_context():
        result = import_stream(io.BytesIO(buffer.getvalue().encode()))
        assert result.summary() == "created 40, updated 0, unchanged 0, rejected 1"
        assert result.rejections[0][0] == 42 and "NUL" in result.rejections[0][2]
        assert "nul@example.org" not in _stored(db)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(before=spreadsheets(), spreadsheet=spreadsheets(), batch=st.sampled_from([1, 2, 3, 2000]))
def test_the_preview_counts_what_the_import_then_does_and_writes_nothing(app, before, spreadsheet, batch):
    """The page's preview is a dry run that writes nothing: its counts and rejections must be the
    import's own, on top of whatever is stored already, also when the file spans several batches."""
    from contacts import importing
    from core.db import db
    from core.errors import DomainError

    with app.app_context():
        _empty(db)
        try:
            importing.import_stream(io.BytesIO(before[0]))
        except DomainError:
            pass
        stored, rows = _stored(db), _row_counts(db)
        saved, importing.BATCH = importing.BATCH, batch
        try:
            try:
                preview = importing.import_stream(io.BytesIO(spreadsheet[0]), tags=["autumn"], dry_run=True)
            except DomainError:
                return
            assert _stored(db) == stored and _row_counts(db) == rows, "the preview wrote something"
            real = importing.import_stream(io.BytesIO(spreadsheet[0]), tags=["autumn"])
        finally:
            importing.BATCH = saved
        assert (preview.created, preview.updated, preview.unchanged, preview.rejected) == \
            (real.created, real.updated, real.unchanged, real.rejected), (preview.summary(), real.summary())
        assert sorted(preview.rejections) == sorted(real.rejections)


def _row_counts(db) -> tuple[int, ...]:
    from sqlalchemy import func

    from contacts.models import Contact, Organisation, Tag, contact_tags

    return tuple(db.session.execute(select(func.count()).select_from(t)).scalar_one()
                 for t in (Contact.__table__, Organisation.__table__, Tag.__table__, contact_tags))


def test_the_preview_follows_an_address_written_two_ways_across_batches(app):
    """Unicode and punycode domains are one address once cleaned, but not to the first pass that
    merges a file's duplicates: the second row updates the contact the first one creates."""
    from contacts import importing
    from core.db import db

    data = "Email,Name,Tags\nanna@пример.рф,Anna,eu\nanna@xn--e1afmkfd.xn--p1ai,Anna Petrova,media\n".encode()
    with app.app_context():
        saved, importing.BATCH = importing.BATCH, 1
        try:
            preview = importing.import_stream(io.BytesIO(data), dry_run=True)
            real = importing.import_stream(io.BytesIO(data))
        finally:
            importing.BATCH = saved
        assert real.summary() == "created 1, updated 1, unchanged 0, rejected 0"
        assert preview.summary() == real.summary()
        assert _stored(db)["anna@пример.рф"][0] == "Anna Petrova"

"""Case files: create, edit, list and read cases, their timeline and photos. Plain values in, rows out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from campaigns.cases.models import EVENT_KINDS, STATUSES, UPDATE_KINDS, Case, CaseEvent, CasePhoto
from campaigns.cases.photos import clean_photo
from core.db import db, utcnow
from core.errors import NotFound, ValidationError
from core.mail.headers import LINE_BREAKS

PAGE_SIZE = 50


def parse_date(value, field: str, *, required: bool = False) -> date | None:
    if isinstance(value, date):
        return value
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not value:
        if required:
            raise ValidationError(field, "is required")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, "must be a date like 2025-03-14") from None


def _text(data: dict, field: str, limit: int, *, required: bool = False, line: bool = False) -> str:
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise ValidationError(field, "is required")
    if len(value) > limit:
        raise ValidationError(field, f"is longer than {limit} characters")
    if "\x00" in value or (line and not LINE_BREAKS.isdisjoint(value)):
        raise ValidationError(field, "cannot contain line breaks or NUL characters")
    return value


def _url(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if value and not value.lower().startswith(("https://", "http://")):
        raise ValidationError(field, "must be a link starting with https:// or http://")
    if len(value) > 500 or any(c in value for c in " \r\n\x00<>\""):
        raise ValidationError(field, "is not a valid link")
    return value


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes")


@dataclass(frozen=True)
class CaseFields:
    name: str
    alias: str
    public: bool
    status: str
    charges: str
    arrest_date: date | None
    place_of_detention: str
    summary: str
    notes: str

    @classmethod
    def from_input(cls, data: dict) -> "CaseFields":
        """Every field checked at once, so a form shows all its problems together."""
        values, problems = {}, {}

        def check(field, fn):
            try:
                values[field] = fn()
            except ValidationError as exc:
                problems.update(exc.fields)

        check("name", lambda: _text(data, "name", 200, required=True, line=True))
        check("alias", lambda: _text(data, "alias", 200, line=True))
        check("status", lambda: _status(data.get("status")))
        check("charges", lambda: _text(data, "charges", 2000))
        check("arrest_date", lambda: _arrest_date(data.get("arrest_date")))
        check("place_of_detention", lambda: _text(data, "place_of_detention", 300, line=True))
        check("summary", lambda: _text(data, "summary", 10_000))
        check("notes", lambda: _text(data, "notes", 10_000))
        if problems:
            field, reason = next(iter(problems.items()))
            raise ValidationError(field, reason, problems)
        return cls(public=_truthy(data.get("public")), **values)


def _status(value) -> str:
    status = (value or "detained").strip()
    if status not in STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
    return status


def _arrest_date(value) -> date | None:
    arrest_date = parse_date(value, "arrest_date")
    if arrest_date and arrest_date > date.today():
        raise ValidationError("arrest_date", "is in the future")
    return arrest_date


def create_case(data: dict) -> Case:
    case = Case(**CaseFields.from_input(data).__dict__)
    db.session.add(case)
    db.session.commit()
    return case


def update_case(case_id: int, data: dict) -> Case:
    case = get_case(case_id)
    for key, value in CaseFields.from_input(data).__dict__.items():
        setattr(case, key, value)
    db.session.commit()
    return case


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def list_cases(status: str | None = None, query: str | None = None, page: int = 1) -> tuple[list[Case], int]:
    stmt = select(Case)
    if status:
        if status not in STATUSES:
            raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
        stmt = stmt.where(Case.status == status)
    if query:  # name and alias only: the other case fields are encrypted and cannot be searched in SQL
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Case.name).like(like), func.lower(Case.alias).like(like)))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.session.execute(stmt.order_by(Case.updated_at.desc(), Case.id.desc())
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).scalars().all()
    return list(rows), total


def all_cases() -> list[Case]:
    return list(db.session.execute(select(Case).order_by(Case.name)).scalars())


def add_event(case_id: int, data: dict) -> CaseEvent:
    case = get_case(case_id)
    kind = (data.get("kind") or "").strip()
    if kind not in EVENT_KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(EVENT_KINDS)}")
    event = CaseEvent(case=case, kind=kind, happened_on=parse_date(data.get("happened_on"), "happened_on", required=True),
                      description=_text(data, "description", 5000, required=True),
                      source_url=_url(data.get("source_url"), "source_url"))
    db.session.add(event)
    case.updated_at = utcnow()
    if kind == "release":
        case.status = "released"
    elif kind == "sentence" and case.status in ("detained", "on_trial"):
        case.status = "sentenced"
    db.session.commit()
    return event


def delete_event(case_id: int, event_id: int) -> None:
    event = db.session.get(CaseEvent, event_id)
    if event is None or event.case_id != case_id:
        raise NotFound(f"event {event_id} does not exist")
    db.session.delete(event)
    db.session.commit()


def add_photo(case_id: int, raw: bytes, caption: str = "") -> CasePhoto:
    case = get_case(case_id)
    clean = clean_photo(raw)
    photo = CasePhoto(case=case, data=clean.data, content_type=clean.content_type, width=clean.width,
                      height=clean.height, caption=_text({"caption": caption}, "caption", 300, line=True))
    db.session.add(photo)
    db.session.commit()
    return photo


def get_photo(case_id: int, photo_id: int) -> CasePhoto:
    photo = db.session.get(CasePhoto, photo_id)
    if photo is None or photo.case_id != case_id:
        raise NotFound(f"photo {photo_id} does not exist")
    return photo


def delete_photo(case_id: int, photo_id: int) -> None:
    db.session.delete(get_photo(case_id, photo_id))
    db.session.commit()


def pending_update(case: Case) -> CaseEvent | None:
    """The event a 'case update' should go out for: the latest one, if it is a transfer, a sentence,
    a hunger strike or a release."""
    if not case.events:
        return None
    latest = case.events[-1]
    return latest if latest.kind in UPDATE_KINDS else None


def case_listing(case: Case) -> dict:
    """A case as a line of a list: a confidential case shows only who and where it stands; its details
    are read one case at a time, where the reading is audited."""
    if case.public:
        return case_data(case)
    return {"id": case.id, "name": case.name, "alias": case.alias, "public": False, "status": case.status,
            "campaigns": [c.id for c in case.campaigns]}


def case_data(case: Case) -> dict:
    """A case as plain data, for appeal templates and lists: never the confidential notes."""
    return {
        "id": case.id, "name": case.name, "alias": case.alias, "public": case.public, "status": case.status,
        "charges": case.charges, "arrest_date": case.arrest_date.isoformat() if case.arrest_date else None,
        "place_of_detention": case.place_of_detention, "summary": case.summary,
        "events": [{"id": e.id, "happened_on": e.happened_on.isoformat(), "kind": e.kind,
                    "description": e.description, "source_url": e.source_url} for e in case.events],
        "photos": [p.id for p in case.photos],
        "campaigns": [c.id for c in case.campaigns],
    }


def case_detail(case: Case) -> dict:
    """One case as plain data for staff who may read it: `case_data` and the confidential notes."""
    return {**case_data(case), "notes": case.notes}

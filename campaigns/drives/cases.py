"""The cases a drive concerns, as the public page may show them: public cases only, as plain data."""
from __future__ import annotations

from sqlalchemy import select

from campaigns.drives.models import DriveCase
from core.db import db


def case_model():
    from campaigns.cases.models import Case

    return Case


def public_cases(drive_id: int) -> list[dict]:
    """Cases whose family agreed to publicity; the others are never named on the public page."""
    Case = case_model()
    rows = db.session.execute(select(Case).join(DriveCase, DriveCase.case_id == Case.id).where(
        DriveCase.drive_id == drive_id, Case.public.is_(True)).order_by(Case.id)).scalars()
    return [{"name": c.name, "status": c.status, "charges": c.charges, "place": c.place_of_detention,
             "summary": c.summary} for c in rows]


def choices() -> list[tuple[int, str, bool]]:
    """(id, name, public) of every case, for the drive form."""
    Case = case_model()
    return [(c.id, c.display_name, c.public) for c in db.session.execute(select(Case).order_by(Case.name)).scalars()]

"""Forms of the contact pages. Fields are raw text; the services clean and validate them."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from contacts.models import KIND_LABELS, STATUSES
from core.limits import Form

KIND_CHOICES = [SelectChoice("", "—")] + [SelectChoice(k, label) for k, label in KIND_LABELS.items()]
STATUS_CHOICES = [SelectChoice(s, s.capitalize()) for s in STATUSES]
MAILBOX_CHOICES = [SelectChoice("", "—"), SelectChoice("personal", "Personal address"),
                   SelectChoice("generic", "Generic mailbox")]


class ContactForm(Form):
    name = StringField("Name", validators=[Length(max=200)])
    email = StringField("Email", validators=[Length(max=254)])
    salutation = StringField("Salutation", validators=[Length(max=100)],
                             description="Protocol form of address, e.g. “Your Excellency”")
    position = StringField("Position", validators=[Length(max=200)])
    organisation = StringField("Organisation", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=KIND_CHOICES, validate_choice=False)
    country = StringField("Country", validators=[Length(max=60)], description="ISO code (DE, KZ) or name")
    city = StringField("City", validators=[Length(max=100)])
    language = StringField("Language", validators=[Length(max=35)], description="BCP 47 tag: en, ru, kk, de…")
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)
    mailbox = SelectField("Address is", choices=MAILBOX_CHOICES, validate_choice=False)
    posting_start = DateField("Posting starts", validators=[Optional()])
    posting_end = DateField("Posting ends", validators=[Optional()])
    verified_at = DateField("Last verified on", validators=[Optional()])
    verified_source = StringField("Verified from (source)", validators=[Length(max=200)])
    lawful_basis = StringField("Lawful basis", validators=[Length(max=200)])
    source = StringField("Where the contact came from", validators=[Length(max=200)])
    tags = StringField("Tags", description="Separated by commas or semicolons")
    notes = TextAreaField("Notes", validators=[Length(max=5000)])

    def plain(self) -> dict:
        """The form's values as the text the service expects."""
        data = {}
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            value = field.data
            data[name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
        return data


class UploadForm(Form):
    file = FileField("CSV file", validators=[FileRequired("choose a CSV file")])
    tags = StringField("Add tags to every imported contact", description="Optional; separated by commas")


class OrganisationForm(Form):
    name = StringField("Name", validators=[Length(max=200)])
    kind = SelectField("Kind", choices=KIND_CHOICES, validate_choice=False)
    country = StringField("Country", validators=[Length(max=60)])
    city = StringField("City", validators=[Length(max=100)])

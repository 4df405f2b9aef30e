"""Template pages: the library, a template's settings and variants, the editor with live preview."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from campaigns.appeals import bp, services, starters
from campaigns.appeals.rendering import TemplateRejected
from campaigns.cases.services import all_cases
from core.errors import NotFound, ValidationError
from core.security import access


def _problems(exc: TemplateRejected) -> list[dict]:
    return [{"part": exc.part, "line": p.line, "field": p.field, "message": p.message} for p in exc.problems]


def _sender() -> dict:
    return {"name": current_user.name or current_user.email, "email": current_user.email,
            "organisation": "", "position": ""}


def _template_or_404(template_id: int):
    try:
        return services.get_template(template_id)
    except NotFound:
        abort(404)


def _editor(template, language: str, form: dict, *, problems=(), errors=None, rendered=None, status=200):
    """The editor page. A template with problems is shown with 200: the editor is a workbench where
    problems are normal (browsers log a 4xx page as a console error); nothing was saved."""
    from campaigns.services import list_campaigns

    variant = template.variant(language) if template else None
    source = template.variant(template.source_language) if template else None
    return render_template(
        "appeals/edit.html", template=template, language=language, variant=variant, source=source, form=form,
        problems=list(problems), errors=errors or {}, rendered=rendered, cases=all_cases(),
        contacts=services.preview_contacts(), campaigns=list_campaigns(),
        starters_missing=starters.missing()), status


@bp.get("/")
@access("viewer")
def index():
    return render_template("appeals/list.html", templates=services.list_templates(), starters_missing=starters.missing())


@bp.post("/starters")
@access("campaigner")
def load_starters():
    added = starters.load_starters()
    flash(f"{added} starter template{'' if added == 1 else 's'} added to the library." if added
          else "The starter library is already loaded.", "success")
    return redirect(url_for("appeals.index"))


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def new():
    form = request.form.to_dict() if request.method == "POST" else {"language": "en"}
    if request.method == "POST":
        try:
            template = services.create_template(form.get("name"), form.get("language"), form.get("subject", ""),
                                                form.get("body", ""), form.get("campaign_id"),
                                                request.form.getlist("case_ids"))
        except TemplateRejected as exc:
            return _editor(None, form.get("language") or "en", form, problems=_problems(exc))
        except ValidationError as exc:
            return _editor(None, form.get("language") or "en", form, errors=exc.fields, status=422)
        flash("Template created.", "success")
        return redirect(url_for("appeals.edit", template_id=template.id, language=template.source_language))
    return _editor(None, "en", form)


@bp.get("/<int:template_id>")
@access("viewer")
def show(template_id: int):
    from campaigns.services import list_campaigns

    template = _template_or_404(template_id)
    return render_template("appeals/show.html", template=template, cases=all_cases(), campaigns=list_campaigns(),
                           chosen={c.id for c in template.cases}, errors={})


@bp.post("/<int:template_id>/settings")
@access("campaigner")
def settings(template_id: int):
    _template_or_404(template_id)
    try:
        services.update_settings(template_id, request.form.get("name"), request.form.get("campaign_id"),
                                 request.form.getlist("case_ids"))
    except ValidationError as exc:
        for field, reason in exc.fields.items():
            flash(f"Not saved: {field.replace('_', ' ')} {reason}.", "error")
    else:
        flash("Template settings saved.", "success")
    return redirect(url_for("appeals.show", template_id=template_id))


@bp.get("/<int:template_id>/add-language")
@access("campaigner")
def add_language(template_id: int):
    _template_or_404(template_id)
    try:
        language = services.normalise_language(request.args.get("language"))
    except ValidationError as exc:
        flash(f"Language {exc.reason}.", "error")
        return redirect(url_for("appeals.show", template_id=template_id))
    return redirect(url_for("appeals.edit", template_id=template_id, language=language))


@bp.route("/<int:template_id>/<language>", methods=["GET", "POST"])
@access("viewer")
def edit(template_id: int, language: str):
    template = _template_or_404(template_id)
    variant = template.variant(language)
    if request.method == "GET":
        start = variant or template.variant(template.source_language)
        form = {"subject": start.subject, "body": start.body} if start else {}
        return _editor(template, language, form)
    form = request.form.to_dict()
    try:
        services.save_variant(template_id, language, form.get("subject", ""), form.get("body", ""))
    except TemplateRejected as exc:
        return _editor(template, language, form, problems=_problems(exc))
    except ValidationError as exc:
        return _editor(template, language, form, errors=exc.fields, status=422)
    flash(f"The {language} variant was saved.", "success")
    return redirect(url_for("appeals.edit", template_id=template_id, language=language))


@bp.post("/preview")
@access("viewer", write="viewer")
def preview():
    """Render what one recipient would get. Saves nothing; JSON for the live preview, else the page."""
    form = request.form.to_dict()
    template = None
    if form.get("template_id", "").isdigit():
        template = _template_or_404(int(form["template_id"]))
    language = form.get("language") or "en"
    case_ids = [form.get("case_id")] + ([str(c.id) for c in template.cases] if template else [])
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        rendered = services.preview(form.get("subject", ""), form.get("body", ""), language,
                                    contact_id=form.get("contact_id"), case_ids=[c for c in case_ids if c],
                                    campaign_id=form.get("campaign_id") or (template.campaign_id if template else None),
                                    sender=_sender(), reader=current_user)
    except TemplateRejected as exc:
        if wants_json:  # the preview worked: what it found are the template's problems
            return jsonify({"problems": _problems(exc)})
        return _editor(template, language, form, problems=_problems(exc))
    except ValidationError as exc:
        if wants_json:
            return jsonify({"problems": [{"part": f, "line": None, "field": f, "message": r}
                                         for f, r in exc.fields.items()]})
        return _editor(template, language, form, errors=exc.fields, status=422)
    if wants_json:
        return jsonify({"subject": rendered.subject, "html": rendered.html, "text": rendered.text})
    return _editor(template, language, form, rendered=rendered)

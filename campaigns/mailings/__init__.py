"""Mailings: compose, review, send through background workers, follow progress; the unsubscribe page."""
from flask import Blueprint

from core.queue import every

bp = Blueprint("mailings", __name__, url_prefix="/mailings")


@bp.record_once
def _settings(state) -> None:
    from campaigns.mailings import settings

    settings.load(state.app)
    # On the mail queue: behind the deliveries, so pumping never starves them on a busy machine.
    every("campaigns.mailings.jobs.pump", state.app.config["MAILING_PUMP_SECONDS"], queue="mail")
    state.app.register_blueprint(unsubscribe_bp)
    from campaigns.mailings.outgoing import deliver

    state.app.extensions["mail.ledger"] = deliver  # core.mail.deliver: every single message goes here


from campaigns.mailings import views  # noqa: E402,F401
from campaigns.mailings.unsubscribe import bp as unsubscribe_bp  # noqa: E402
from campaigns.mailings import privacy  # noqa: E402,F401  (registers with contacts.privacy)

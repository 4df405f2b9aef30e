"""/healthz: is the database up, is Redis (when configured) up."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.db import db
from core.security import access

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access("public")
def healthz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "up"
    except Exception:  # noqa: BLE001 - any failure means down; details stay in the log
        current_app.logger.warning("healthz: database check failed", exc_info=True)
        checks["database"] = "down"
    if current_app.config.get("REDIS_URL"):
        try:
            from core.queue import redis_connection

            redis_connection().ping()
            checks["redis"] = "up"
        except Exception:  # noqa: BLE001
            current_app.logger.warning("healthz: redis check failed", exc_info=True)
            checks["redis"] = "down"
    else:
        checks["redis"] = "not configured (jobs run in-process)"
    ok = all(v != "down" for v in checks.values())
    return jsonify({"status": "ok" if ok else "degraded", **checks}), (200 if ok else 503)

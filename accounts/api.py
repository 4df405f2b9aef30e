"""/api/v1/me: who the token belongs to."""
from flask import g, jsonify

from core.api import bp, documented
from core.security import access


@bp.get("/me")
@access("viewer")
@documented("The account the Bearer token belongs to", tags=["accounts"], response_schema={
    "type": "object", "required": ["id", "email", "role"],
    "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "role": {"type": "string"}}})
def me():
    user = g.api_user
    return jsonify({"id": user.id, "email": user.email, "role": user.role})

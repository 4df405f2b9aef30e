"""Invitations instead of shared passwords: an admin invites by email; the link works once, for 48 hours.

The token is shown only in the mail (only its SHA-256 is stored) and starts with ``so_`` like every
token of ours, so log redaction catches it. Accepting creates the account with the invitee's own
password; an admin invited this way enrols two-factor at first sign-in.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from accounts import passwords, services
from accounts.models import ROLES, Invitation, User
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationError

LIFETIME = timedelta(hours=48)
TOKEN_PREFIX = "so_inv_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(email: str, role: str, invited_by: User) -> str:
    """Create an invitation (replacing older open ones for the address), mail it, return the link."""
    if role not in ROLES:
        raise ValidationError("role", f"must be one of {', '.join(ROLES)}")
    email = services.normalise_email(email)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"{email} already has an account", {"email": "already has an account"})
    now = utcnow()
    db.session.execute(update(Invitation).where(
        Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
    ).values(revoked_at=now))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    invitation = Invitation(email=email, role=role, token_hash=_hash(token), invited_by_id=invited_by.id,
                            created_at=now, expires_at=now + LIFETIME)
    db.session.add(invitation)
    db.session.flush()
    audit.record("user.invite", target=f"invitation:{invitation.id}", detail={"role": role})
    db.session.commit()
    link = f"{current_app.config['PUBLIC_BASE_URL']}/invite/{token}"
    send_invitation(invitation.id, email, role, link)
    return link


def open_invitation(token: str) -> Invitation:
    """The invitation a link names, if it can still be used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise NotFound("this invitation link is not valid")
    invitation = db.session.execute(select(Invitation).where(Invitation.token_hash == _hash(token))).scalar_one_or_none()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("this invitation link is not valid")
    if invitation.accepted_at is not None:
        raise NotFound("this invitation has been used already")
    if invitation.expires_at <= utcnow():
        raise NotFound("this invitation has expired; ask for a new one")
    return invitation


def accept(token: str, password: str, name: str = "") -> User:
    invitation = open_invitation(token)
    passwords.check_policy(password)
    # Claim the invitation first: of two simultaneous acceptances only one updates the row.
    claimed = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None)).values(accepted_at=utcnow())).rowcount
    if claimed != 1:
        db.session.rollback()
        raise NotFound("this invitation has been used already")
    if db.session.execute(select(User.id).where(User.email == invitation.email)).first():
        db.session.rollback()
        raise Conflict(f"{invitation.email} already has an account")
    user = User(email=invitation.email, role=invitation.role, name=name.strip()[:200],
                password_hash=passwords.hash_password(password), password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("user.accept_invitation", target=f"user:{user.id}",
                 detail={"invitation": invitation.id, "role": user.role}, actor_id=user.id, actor_email=user.email)
    db.session.commit()
    return user


def revoke(invitation_id: int) -> None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise NotFound("no open invitation with that id")
    invitation.revoked_at = utcnow()
    audit.record("user.revoke_invitation", target=f"invitation:{invitation.id}")
    db.session.commit()


def open_invitations() -> list[Invitation]:
    return list(db.session.execute(select(Invitation).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow()
    ).order_by(Invitation.created_at.desc())).scalars())


def send_invitation(invitation_id: int, email: str, role: str, link: str) -> None:
    """Through the one outgoing ledger, once per invitation; raises core.mail.MailError if refused."""
    from core import mail
    from core.mail.states import FAILED

    envelope = mail.transactional(
        email, "You are invited to Solidarity outreach",
        f"You have been invited to Solidarity outreach as a {role}.\n\n"
        f"Open this link within 48 hours to choose your password. It works once:\n\n{link}\n\n"
        "If you did not expect this, ignore this mail.\n")
    if mail.deliver(envelope, "invitation", f"invitation:{invitation_id}") == FAILED:
        raise mail.MailError(f"the mail server refused the invitation to {email}")

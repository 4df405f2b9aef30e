"""An envelope as text and back: how a single message waits in the ledger for any worker to send it.

Pure: the ledger stores this text encrypted (`Message.sealed`) and wipes it once the message settles.
"""
from __future__ import annotations

import base64
import dataclasses
import json

from core.mail import Envelope


def dumps(envelope: Envelope) -> str:
    data = dataclasses.asdict(envelope)
    data["attachments"] = [{**a, "content": base64.b64encode(a["content"]).decode()}
                           for a in data.get("attachments") or ()]
    return json.dumps(data, separators=(",", ":"))


def loads(text: str) -> Envelope:
    from core.mail import Attachment

    data = json.loads(text)
    known = {f.name for f in dataclasses.fields(Envelope)}
    data["attachments"] = tuple(Attachment(**{**a, "content": base64.b64decode(a["content"])})
                                for a in data.get("attachments") or ())
    return Envelope(**{k: v for k, v in data.items() if k in known})

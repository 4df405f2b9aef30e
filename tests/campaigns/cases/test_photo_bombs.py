"""Photos whose chunks decompress to far more than they weigh are refused with a reason, not a 500."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from campaigns.cases.photos import clean_photo
from core.errors import ValidationError
from tests.campaigns.cases.test_views import create_case
from tests.conftest import csrf_token

MB = 1024 * 1024


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with(kind: bytes, inflated: int) -> bytes:
    """A small valid PNG with one extra chunk whose compressed payload inflates to `inflated` bytes."""
    raw = io.BytesIO()
    Image.new("RGB", (8, 8), "navy").save(raw, "PNG")
    png = raw.getvalue()
    bomb = zlib.compress(b"\0" * inflated, 9)
    extra = chunk(b"zTXt", b"Comment\0\0" + bomb) if kind == b"zTXt" else chunk(b"iCCP", b"icc\0\0" + bomb)
    return png[:33] + extra + png[33:]  # right after the 8-byte signature and the IHDR chunk


BOMBS = [png_with(b"zTXt", 50 * MB), png_with(b"iCCP", 100 * MB)]


@pytest.mark.parametrize("raw", BOMBS, ids=["zTXt-50MB", "iCCP-100MB"])
def test_a_decompression_bomb_chunk_is_a_clear_refusal(raw):
    assert len(raw) < 200 * 1024
    with pytest.raises(ValidationError) as refused:
        clean_photo(raw)
    assert refused.value.field == "photo"


def test_uploading_a_bomb_says_why_and_adds_nothing(client, auth):
    auth.login("campaigner")
    location = create_case(client).headers["Location"]
    token = csrf_token(client, location)
    for raw in BOMBS:
        response = client.post(location + "/photos", data={"csrf_token": token, "photo": (io.BytesIO(raw), "p.png")},
                               content_type="multipart/form-data", follow_redirects=True)
        assert response.status_code == 200
        assert "Photo not added" in response.get_data(as_text=True)
    assert '<figure class="photo">' not in client.get(location).get_data(as_text=True)

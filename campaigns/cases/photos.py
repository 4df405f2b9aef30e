"""Photo upload: decode, bound the size, and re-encode without any metadata (EXIF, GPS, XMP, ICC).

Re-encoding from pixels is the reliable way to drop metadata: copying a file and deleting tags
misses vendor blocks and thumbnails that carry their own EXIF.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ValidationError

MAX_UPLOAD = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    width: int
    height: int


def clean_photo(raw: bytes) -> CleanPhoto:
    if not raw:
        raise ValidationError("photo", "the file is empty")
    if len(raw) > MAX_UPLOAD:
        raise ValidationError("photo", f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ("JPEG", "PNG", "WEBP", "GIF", "MPO"):
                raise ValidationError("photo", "only JPEG, PNG, WebP or GIF images can be uploaded")
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError("photo", "the image has too many pixels")
            probe.load()
            # Turn the picture upright first: the orientation tag goes away with the rest.
            image = ImageOps.exif_transpose(probe)
    except Image.DecompressionBombError:
        raise ValidationError("photo", "the image has too many pixels") from None
    except ValueError as exc:
        # Pillow's guard against a text or colour-profile chunk that inflates to far more than it
        # weighs ("Decompressed data too large"): a bomb, or a file no camera writes.
        if "too large" in str(exc):
            raise ValidationError("photo", "the file holds a compressed block too large to unpack") from None
        raise ValidationError("photo", "the file is not an image we can read") from None
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError):
        raise ValidationError("photo", "the file is not an image we can read") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    pixels = Image.new(image.mode if not has_alpha else "RGBA", image.size)
    pixels.paste(image.convert("RGBA") if has_alpha else image.convert("RGB"))
    out = io.BytesIO()
    if has_alpha:
        pixels.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        pixels.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    return CleanPhoto(out.getvalue(), content_type, pixels.width, pixels.height)

"""Uploaded images: the format from the bytes, bounded decoding, and a fresh re-encoding.

The format is decided by the file's magic bytes (the app sends every part as
``application/octet-stream``). Decoding is bounded (pixel count, truncation) and the image is
re-encoded from its pixels alone, so EXIF/GPS, comments and whatever a polyglot file carried
after its image data are gone.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps

MAX_IMAGE_PIXELS: Final = 40_000_000
MIN_SIDE: Final = 32
FORMATS: Final = ("jpeg", "png", "webp", "heic")
HEIC_BRANDS: Final = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


class ImageRejected(Exception):
    """An upload that is not an image we take (``status``: 415 unsupported, 422 unreadable)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded upload: its bytes, content type and size in pixels."""

    data: bytes
    content_type: str
    width: int
    height: int
    source_format: str


def sniff(data: bytes) -> str | None:
    """The image format the bytes start with (None: not one we take)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "heic"
    return None


def _register_heif() -> None:
    # pillow-heif registers an opener once per process; imported here, not at module load.
    from pillow_heif import register_heif_opener

    register_heif_opener()


def decode(data: bytes, fmt: str) -> Image.Image:
    """Decode fully, bounded: a decompression bomb or a truncated file raises ImageRejected."""
    if fmt == "heic":
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt.upper() if fmt != "heic" else "HEIF"])
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageRejected(
                    f"Image is too large: {width}x{height} pixels (at most {MAX_IMAGE_PIXELS:,})"
                )
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"Image is too large to decode safely: {exc}") from exc
    except Exception as exc:  # Pillow raises many kinds for damaged files; all are the file's fault
        raise ImageRejected(f"The image could not be read ({type(exc).__name__})") from exc
    if min(image.size) < MIN_SIDE:
        raise ImageRejected(f"Image is too small: {image.width}x{image.height} pixels")
    return image


def clean(data: bytes) -> CleanImage:
    """Validate and re-encode an upload (JPEG; PNG for images with transparency)."""
    if not data:
        raise ImageRejected("The file is empty")
    fmt = sniff(data)
    if fmt is None:
        raise ImageRejected("Only JPEG, PNG, WEBP or HEIC images are accepted", status=415)
    image = decode(data, fmt)
    try:
        image = ImageOps.exif_transpose(image)  # keep the photo upright before EXIF goes
    except Exception:  # a broken orientation tag: keep the pixels as stored
        image = image.copy()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    if has_alpha:
        fresh = Image.new("RGBA", image.size)
        fresh.paste(image.convert("RGBA"))
        fresh.save(out, "PNG", optimize=False)
        content_type = "image/png"
    else:
        fresh = Image.new("RGB", image.size)
        fresh.paste(image.convert("RGB"))
        fresh.save(out, "JPEG", quality=90)
        content_type = "image/jpeg"
    return CleanImage(out.getvalue(), content_type, fresh.width, fresh.height, fmt)


def for_ocr(data: bytes) -> Image.Image:
    """A stored (already clean) image as grey levels with stretched contrast, for an engine."""
    image = Image.open(io.BytesIO(data))
    image.load()
    grey = ImageOps.autocontrast(image.convert("L"), cutoff=1)
    if max(grey.size) < 1000:  # small photos read better larger
        grey = grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.LANCZOS)
    return grey

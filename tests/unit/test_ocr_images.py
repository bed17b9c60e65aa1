"""Uploaded images: format by magic bytes, bounded decoding, re-encoding; a fuzzed decoder
path raises only ImageRejected."""

from __future__ import annotations

import contextlib
import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from services.ocr.reading.images import ImageRejected, clean, for_ocr, sniff


def jpeg(size: tuple[int, int] = (120, 160), mode: str = "RGB") -> bytes:
    """A small JPEG."""
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, "JPEG")
    return out.getvalue()


SEED_IMAGES: list[bytes] = []


def seeds() -> list[bytes]:
    """One valid file of every accepted format (built once)."""
    if not SEED_IMAGES:
        for fmt in ("JPEG", "PNG", "WEBP"):
            out = io.BytesIO()
            Image.new("RGB", (64, 64), "white").save(out, fmt)
            SEED_IMAGES.append(out.getvalue())
    return SEED_IMAGES


def test_sniff_reads_the_magic_not_the_name() -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, "PNG")
    assert sniff(out.getvalue()) == "png"
    assert sniff(jpeg()) == "jpeg"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == "heic"
    assert sniff(b"GIF89a") is None
    assert sniff(b"") is None


def test_clean_re_encodes_and_keeps_transparency_as_png() -> None:
    cleaned = clean(jpeg())
    assert (cleaned.content_type, cleaned.width, cleaned.height) == ("image/jpeg", 120, 160)
    out = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, "PNG")
    assert clean(out.getvalue()).content_type == "image/png"


def test_exif_orientation_is_applied_before_it_is_dropped() -> None:
    image = Image.new("RGB", (200, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    cleaned = clean(out.getvalue())
    assert (cleaned.width, cleaned.height) == (100, 200)
    assert not Image.open(io.BytesIO(cleaned.data)).getexif()


@pytest.mark.parametrize(
    ("data", "status"),
    [(b"", 422), (b"not an image", 415), (jpeg()[:40], 422), (jpeg((10, 10)), 422)],
)
def test_bad_files_are_refused(data: bytes, status: int) -> None:
    with pytest.raises(ImageRejected) as refused:
        clean(data)
    assert refused.value.status == status


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")
    with pytest.raises(ImageRejected, match="too large"):
        clean(out.getvalue())


def test_small_photos_are_enlarged_for_the_engine() -> None:
    grey = for_ocr(clean(jpeg((300, 400))).data)
    assert (grey.mode, grey.size) == ("L", (600, 800))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=4096))
def test_random_bytes_never_escape_as_another_error(data: bytes) -> None:
    with contextlib.suppress(ImageRejected):
        clean(data)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2), st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_mutated_real_images_never_escape_as_another_error(
    which: int, seed: int, flips: int
) -> None:
    rng = random.Random(seed)
    data = bytearray(seeds()[which])
    for _ in range(flips):
        at = rng.randrange(len(data))
        data[at] = rng.randrange(256)
    if rng.random() < 0.3:
        data = data[: rng.randrange(1, len(data))]
    with contextlib.suppress(ImageRejected):
        clean(bytes(data))

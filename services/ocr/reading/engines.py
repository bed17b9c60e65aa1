"""OCR engines behind one interface: Tesseract (offline, the default) and Google Cloud Vision.

An engine turns a prepared image into lines of text with confidences. ``EngineUnavailable``
is a transient failure (retried with backoff); ``EngineFailed`` is this image's own problem
(the job fails with its reason).
"""

from __future__ import annotations

import io
import logging
import os
import queue
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from PIL import Image

from services.ocr.reading.receipt import Line

log = logging.getLogger(__name__)
DEBIAN_TESSDATA: Final = (Path("/usr/share/tesseract-ocr/5/tessdata"), Path("/usr/share/tessdata"))
WANTED_LANGUAGES: Final = ("eng", "bul")


class EngineUnavailable(Exception):
    """The engine could not answer now (network, quota, timeout): worth retrying."""


class EngineFailed(Exception):
    """The engine cannot read this image (retrying will not help)."""


@dataclass(frozen=True)
class Extraction:
    """What an engine read: lines with confidences, the engine and its languages."""

    lines: list[Line]
    engine: str
    languages: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The whole text, a line per line."""
        return "\n".join(line.text for line in self.lines)


class Engine(Protocol):
    """An OCR engine."""

    name: str

    def languages(self) -> tuple[str, ...]:
        """The languages it reads."""
        ...

    def extract(self, image: Image.Image) -> Extraction:
        """Read the text of a prepared (grey) image."""
        ...


def tessdata_dirs() -> list[Path]:
    """Where traineddata files may be: the venv's (PyPI data packages), then Debian's."""
    return [Path(sys.prefix) / "share" / "tessdata", *DEBIAN_TESSDATA]


def available_languages(sources: list[Path] | None = None) -> tuple[str, ...]:
    """The wanted Tesseract languages whose data is installed (nothing is loaded)."""
    dirs = sources or tessdata_dirs()
    return tuple(
        lang
        for lang in WANTED_LANGUAGES
        if any((d / f"{lang}.traineddata").is_file() for d in dirs)
    )


def assemble_tessdata(target: Path, sources: list[Path] | None = None) -> tuple[str, ...]:
    """Link every wanted language found in ``sources`` into ``target`` (one path for
    Tesseract); the languages linked, in preference order."""
    target.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for language in (*WANTED_LANGUAGES, "osd"):
        for source in sources or tessdata_dirs():
            path = source / f"{language}.traineddata"
            if path.is_file():
                link = target / path.name
                if link.is_symlink() or link.exists():
                    link.unlink()
                os.symlink(path, link)
                if language != "osd":
                    found.append(language)
                break
    return tuple(found)


class TesseractEngine:
    """libtesseract through tesserocr; a pool of API handles, each used by one thread at a
    time (a handle is not shareable, and loading one takes a while)."""

    name = "tesseract"

    def __init__(self, tessdata: Path, languages: tuple[str, ...]) -> None:
        if not languages:
            raise EngineUnavailable(f"no Tesseract language data in {tessdata}")
        self.tessdata = tessdata
        self._languages = languages
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def languages(self) -> tuple[str, ...]:
        """The languages loaded (``eng``, and ``bul`` when Debian's data is installed)."""
        return self._languages

    def _api(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            import tesserocr  # the C library loads only in processes that read receipts

            return tesserocr.PyTessBaseAPI(
                path=f"{self.tessdata}/",
                lang="+".join(self._languages),
                psm=tesserocr.PSM.SINGLE_BLOCK,
                oem=tesserocr.OEM.LSTM_ONLY,
            )

    def warm(self) -> None:
        """Load one handle now rather than on the first receipt."""
        self._idle.put(self._api())

    def extract(self, image: Image.Image) -> Extraction:
        """Recognize the image line by line, each line with Tesseract's mean word confidence."""
        import tesserocr

        api = self._api()
        try:
            api.SetImage(image)
            api.Recognize()
            lines: list[Line] = []
            level = tesserocr.RIL.TEXTLINE
            for item in tesserocr.iterate_level(api.GetIterator(), level):
                text = (item.GetUTF8Text(level) or "").strip()
                if text:
                    lines.append(Line(text, round(max(0.0, item.Confidence(level)) / 100, 3)))
        except RuntimeError as exc:
            raise EngineFailed(f"Tesseract could not read the image: {exc}") from exc
        finally:
            api.Clear()
            self._idle.put(api)
        return Extraction(lines, self.name, self._languages)


class VisionEngine:
    """Google Cloud Vision ``DOCUMENT_TEXT_DETECTION`` through the official client (REST)."""

    name = "google_vision"

    def __init__(self, client: Any, timeout: float) -> None:
        self.client = client
        self.timeout = timeout

    @classmethod
    def connect(
        cls, *, credentials_file: str | None, endpoint: str | None, anonymous: bool, timeout: float
    ) -> VisionEngine:
        """A client on the REST transport; ``endpoint`` points it elsewhere (a local server)."""
        from google.cloud import vision

        options: dict[str, Any] = {"api_endpoint": endpoint} if endpoint else {}
        if anonymous:
            from google.auth.credentials import AnonymousCredentials

            client = vision.ImageAnnotatorClient(
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                transport="rest",
                client_options=options,
            )
        elif credentials_file:
            client = vision.ImageAnnotatorClient.from_service_account_file(
                credentials_file, transport="rest", client_options=options
            )
        else:
            client = vision.ImageAnnotatorClient(transport="rest", client_options=options)
        return cls(client, timeout)

    def languages(self) -> tuple[str, ...]:
        """Vision detects the language itself."""
        return ("auto",)

    def extract(self, image: Image.Image) -> Extraction:
        """Send the image, read the full text annotation's lines."""
        from google.api_core import exceptions
        from google.cloud import vision

        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        request = vision.AnnotateImageRequest(
            image=vision.Image(content=buffer.getvalue()),
            features=[vision.Feature(type_=vision.Feature.Type.DOCUMENT_TEXT_DETECTION)],
            image_context=vision.ImageContext(language_hints=["en", "bg"]),
        )
        try:
            # The worker retries with its own backoff; the client's retry would hide the attempts.
            batch = self.client.batch_annotate_images(
                requests=[request], timeout=self.timeout, retry=None
            )
        except (exceptions.ServiceUnavailable, exceptions.TooManyRequests,
                exceptions.DeadlineExceeded, exceptions.InternalServerError,
                exceptions.RetryError) as exc:  # fmt: skip
            raise EngineUnavailable(f"Google Vision is unavailable: {exc}") from exc
        except exceptions.GoogleAPICallError as exc:
            raise EngineFailed(f"Google Vision refused the image: {exc.message}") from exc
        except Exception as exc:  # transport errors (connection refused, read timeout)
            raise EngineUnavailable(f"Google Vision did not answer: {exc!r}") from exc
        answer = batch.responses[0]
        if answer.error.message:
            raise EngineFailed(f"Google Vision could not read the image: {answer.error.message}")
        return Extraction(vision_lines(answer), self.name, self.languages())


def vision_lines(answer: Any) -> list[Line]:
    """Lines of a Vision answer; each with the mean confidence of the words on it."""
    document = answer.full_text_annotation
    text = document.text or (
        answer.text_annotations[0].description if answer.text_annotations else ""
    )
    words: list[float] = [
        word.confidence
        for page in document.pages
        for block in page.blocks
        for paragraph in block.paragraphs
        for word in paragraph.words
    ]
    mean = sum(words) / len(words) if words else 0.9
    return [Line(t.strip(), round(mean, 3)) for t in text.splitlines() if t.strip()]

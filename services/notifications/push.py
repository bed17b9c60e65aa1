"""Push delivery behind one interface: Firebase Cloud Messaging through ``firebase-admin`` when
configured, else the recorded outbox (the ``PushSent`` event with channel ``outbox`` is the
record, for the admin portal). A token the provider calls invalid is dropped; a provider error
is retried with backoff, then the push is recorded as failed."""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.notifications.settings import NotificationsSettings


class InvalidToken(Exception):
    """The provider will never deliver to this token (unregistered, malformed, foreign)."""


class PushUnavailable(Exception):
    """The provider failed for now (5xx, timeout): worth another try."""


class Sender(Protocol):
    """Sends one message to one device."""

    channel: str

    def send(self, token: str, title: str, body: str, data: dict[str, str]) -> None:
        """Deliver it (InvalidToken, PushUnavailable)."""
        ...


class OutboxSender:
    """No provider: nothing leaves; the push is recorded as sent to the outbox."""

    channel = "outbox"

    def send(self, token: str, title: str, body: str, data: dict[str, str]) -> None:
        """Recorded by the caller's ``PushSent`` event."""


class FirebaseSender:
    """FCM v1 through firebase-admin's messaging client."""

    channel = "fcm"

    def __init__(self, app: Any) -> None:
        self.app = app

    def send(self, token: str, title: str, body: str, data: dict[str, str]) -> None:
        """One ``messages:send`` call, its errors sorted into dropped or retried."""
        from firebase_admin import exceptions, messaging

        with warnings.catch_warnings():
            # The app registers FCM registration tokens (FirebaseMessaging.getToken), which v1
            # still addresses as ``token``; ``fid`` would be a Firebase installation id.
            warnings.simplefilter("ignore", DeprecationWarning)
            message = messaging.Message(
                token=token, notification=messaging.Notification(title=title, body=body), data=data
            )
        try:
            messaging.send(message, app=self.app)
        except (messaging.UnregisteredError, messaging.SenderIdMismatchError,
                exceptions.InvalidArgumentError, exceptions.NotFoundError) as exc:  # fmt: skip
            raise InvalidToken(str(exc)) from exc
        except exceptions.FirebaseError as exc:
            raise PushUnavailable(str(exc)) from exc
        except Exception as exc:  # the HTTP layer below firebase-admin (connection refused…)
            raise PushUnavailable(repr(exc)) from exc


def firebase_app(settings: NotificationsSettings) -> Any:
    """A firebase-admin app of its own for pushing (credentials from the settings)."""
    import firebase_admin
    from firebase_admin import credentials, messaging

    if settings.fcm_endpoint:
        from google.auth.credentials import AnonymousCredentials

        class Anonymous(credentials.Base):  # type: ignore[misc]
            """An emulator or a test server takes no Google credentials."""

            def get_credential(self) -> Any:
                return AnonymousCredentials()  # type: ignore[no-untyped-call]

        credential: Any = Anonymous()
    elif settings.firebase_credentials_file:
        credential = credentials.Certificate(settings.firebase_credentials_file)
    else:
        credential = credentials.ApplicationDefault()
    app = firebase_admin.initialize_app(
        credential, {"projectId": settings.firebase_project_id}, name=f"mita-push-{uuid.uuid4()}"
    )
    import requests

    # firebase-admin fixes the URL when the service is made (an emulator replaces it) and
    # retries 5xx itself; ``deliver`` owns the retries (MITA_PUSH_ATTEMPTS, with backoff).
    service = messaging._get_messaging_service(app)
    base = settings.fcm_endpoint.rstrip("/") or "https://fcm.googleapis.com"
    if settings.fcm_endpoint:
        service._fcm_url = f"{base}/v1/projects/{settings.firebase_project_id}/messages:send"
    service._client.session.mount(base, requests.adapters.HTTPAdapter(max_retries=0))
    return app


def make_sender(settings: NotificationsSettings) -> Sender:
    """The configured sender."""
    if settings.push_provider == "firebase":
        return FirebaseSender(firebase_app(settings))
    return OutboxSender()


@dataclass
class Delivery:
    """What one push did, device by device."""

    sent: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reason: str = ""


def deliver(
    sender: Sender, tokens: list[str], title: str, body: str, data: dict[str, str], *,
    attempts: int, backoff: float, sleep: Callable[[float], None] = time.sleep,
) -> Delivery:  # fmt: skip
    """Send to every token: an invalid one is given up at once, an unavailable provider is
    tried ``attempts`` times with exponential backoff."""
    done = Delivery()
    for token in tokens:
        for attempt in range(attempts):
            try:
                sender.send(token, title, body, data)
            except InvalidToken:
                done.invalid.append(token)
                break
            except PushUnavailable as exc:
                if attempt + 1 == attempts:
                    done.failed.append(token)
                    done.reason = str(exc)[:500]
                    break
                sleep(backoff * 2**attempt)
            else:
                done.sent.append(token)
                break
    return done

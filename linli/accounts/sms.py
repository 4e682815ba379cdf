"""Sending one-time login codes to residents' phones through a pluggable sender."""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("linli.sms")


class SmsSender(Protocol):
    def send(self, *, phone: str, message: str) -> None: ...


class ConsoleSender:
    """Development sender: writes the message to the log instead of sending it."""

    # The tests read the last code from here (class-level on purpose: one outbox per process).
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, phone: str, message: str) -> None:
        ConsoleSender.sent.append((phone, message))
        logger.warning("SMS to %s: %s", phone, message)


def get_sender() -> SmsSender:
    """The sender configured by LINLI_SMS_SENDER (a dotted path to a class)."""
    sender: SmsSender = import_string(settings.LINLI_SMS_SENDER)()
    return sender

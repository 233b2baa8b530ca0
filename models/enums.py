"""Closed vocabularies stored in the database (codes, not labels)."""

from __future__ import annotations

from enum import StrEnum


class MatterType(StrEnum):
    """The "6+1" kinds of catalogued matters."""

    LICENSING = "LICENSING"
    CONFIRMATION = "CONFIRMATION"
    PAYMENT = "PAYMENT"
    AWARD = "AWARD"
    ADJUDICATION = "ADJUDICATION"
    OTHER_POWER = "OTHER_POWER"
    PUBLIC_SERVICE = "PUBLIC_SERVICE"


class ServedVia(StrEnum):
    """How the case was handled."""

    WINDOW = "WINDOW"
    ONLINE = "ONLINE"
    KIOSK = "KIOSK"
    PHONE = "PHONE"


class ApplicantKind(StrEnum):
    PERSON = "PERSON"
    COMPANY = "COMPANY"


class CaseStatus(StrEnum):
    """Where the case is in its handling; rating status is a separate concern."""

    ACCEPTED = "ACCEPTED"
    COMPLETED = "COMPLETED"


class RatingStatus(StrEnum):
    """Where a completed case is in being rated."""

    UNRATED = "UNRATED"
    RATED = "RATED"
    DEFAULTED = "DEFAULTED"
    EXPIRED = "EXPIRED"


class Channel(StrEnum):
    """Where a rating came from; DEFAULT marks ratings the system applied by policy."""

    PAD = "PAD"
    QR = "QR"
    KIOSK = "KIOSK"
    SMS = "SMS"
    WEB = "WEB"
    APP = "APP"
    HOTLINE = "HOTLINE"
    PAPER = "PAPER"
    DEFAULT = "DEFAULT"


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class CallbackStatus(StrEnum):
    """回访: a bad rating's callback, open until the department closes it (the bad-review
    loop closes callbacks; opening one is what lets a handler reveal the rater's phone)."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"

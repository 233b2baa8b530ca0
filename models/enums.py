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


class WorkItemStatus(StrEnum):
    """差评工单: a bad rating's work item, open until its loop ends or the rating stops being
    bad (an open item is what lets a handler reveal the rater's phone, so it must not outlive
    the bad rating)."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class WorkItemCloseReason(StrEnum):
    """Why a work item closed, so no figure counts an item nobody had to work.
    RATING_CHANGED: the case's effective rating is no longer bad (the rater replaced it;
    the latest wins). RESOLVED: the loop's last step was done. APPEAL_UPHELD: the rating was
    found mistaken or malicious. FOLLOW_UP_GOOD / FOLLOW_UP_BAD / NO_FOLLOW_UP: what the
    rater's rating of the fix came to, where nobody reviews it further."""

    RATING_CHANGED = "RATING_CHANGED"
    RESOLVED = "RESOLVED"
    APPEAL_UPHELD = "APPEAL_UPHELD"
    FOLLOW_UP_GOOD = "FOLLOW_UP_GOOD"
    FOLLOW_UP_BAD = "FOLLOW_UP_BAD"
    NO_FOLLOW_UP = "NO_FOLLOW_UP"


# The names migrations 0005 and 0007 import (the work item was first a callback).
CallbackStatus = WorkItemStatus
CallbackCloseReason = WorkItemCloseReason


class ReminderCallStatus(StrEnum):
    """提醒电话: OPEN on the department's to-do list until a call reaches the person (or
    finds the number wrong), or the sweep cancels it."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class ReminderCallReason(StrEnum):
    """Why the sweep opened a reminder call: the policy's first reminder channel is a call
    (DUE), or the call is the fallback after the reminder SMS could not be delivered."""

    DUE = "DUE"
    SMS_FAILED = "SMS_FAILED"


class CallOutcome(StrEnum):
    """What a reminder call came to: staff record the first three; CANCELLED is the
    sweep's, when the call is no longer needed (the case was rated, defaulted, expired)."""

    REACHED = "REACHED"
    NO_ANSWER = "NO_ANSWER"
    WRONG_NUMBER = "WRONG_NUMBER"
    CANCELLED = "CANCELLED"

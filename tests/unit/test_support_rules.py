"""When a buyer's support request is open, and what is kept of what they add."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.support import STORED_DESCRIPTION_LIMIT, added_to, open_since
from storage import SupportRequest

OPENED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
COOLDOWN = timedelta(minutes=10)


def request(opened_at: datetime | None) -> SupportRequest:
    return SupportRequest(user_id=7, opened_at=opened_at, description="x", updated_at=OPENED)


def test_a_request_is_open_for_the_cooldown_after_it_went_to_the_admins():
    assert open_since(request(OPENED), OPENED + timedelta(minutes=9), COOLDOWN) == OPENED
    assert open_since(request(OPENED), OPENED + COOLDOWN, COOLDOWN) is None


def test_no_request_or_one_never_sent_is_not_open():
    assert open_since(None, OPENED, COOLDOWN) is None
    assert open_since(request(None), OPENED, COOLDOWN) is None


def test_a_cooldown_of_zero_sends_every_request():
    assert open_since(request(OPENED), OPENED, timedelta(0)) is None


def test_what_the_buyer_adds_is_kept_after_the_request_with_its_time():
    now = OPENED + timedelta(minutes=3)
    assert added_to("charged twice", "still broken", now) == (
        "charged twice\n\n[+ 2026-11-27 10:03 UTC] still broken"
    )


def test_what_the_buyer_adds_past_the_limit_is_not_kept():
    full = "x" * STORED_DESCRIPTION_LIMIT
    assert added_to(full, "more", OPENED) == full

"""Followers of a need are texted when its status changes (a Django task after the commit)."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import Role
from linli.accounts.sms import ConsoleSender
from linli.needs import services
from linli.needs.models import Need
from linli.needs.tests.conftest import T0, walk
from tests.personas import _user

pytestmark = pytest.mark.django_db


def _resident(hierarchy: Any, phone: str, **extra: Any) -> Any:
    user = _user(phone, Role.RESIDENT, district=hierarchy.district)
    user.phone = phone
    for k, v in extra.items():
        setattr(user, k, v)
    user.save()
    return user


@pytest.fixture
def outbox() -> list[tuple[str, str]]:
    ConsoleSender.sent.clear()
    return ConsoleSender.sent


@pytest.fixture
def followed(need: Need, hierarchy: Any) -> Need:
    for phone in ("13900003333", "13900004444"):
        services.follow_need(actor=_resident(hierarchy, phone), need_id=need.pk, now=T0)
    return need


def test_followers_are_texted_each_status_change_with_the_public_words_only(
    followed: Need,
    community_staff: Any,
    outbox: list[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        walk(followed, community_staff, upto="accept")
    assert sorted(phone for phone, _m in outbox) == ["13900003333", "13900004444"]
    message = outbox[0][1]
    assert followed.reference in message
    assert "清理垃圾桶" in message  # the public summary staff wrote
    assert "已受理" in message or "Accepted" in message
    assert "垃圾桶满了三天" not in message  # never the resident's own words
    assert "13900001111" not in message

    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        walk(followed, community_staff, upto="resolve")
    # dispatch, start, resolve: three changes, two followers each.
    assert len(outbox) == 6
    assert "已清理" in outbox[-1][1]  # the resolution's public note


def test_the_resident_is_texted_only_if_they_asked_for_texts(
    hierarchy: Any,
    resident: Any,
    community_staff: Any,
    outbox: list[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    calls = services.raise_need(
        actor=resident,
        district=hierarchy.district,
        category="environment",
        description="楼道灯坏了",
        compound=hierarchy.compound_xingfu,
        contact_preference="phone",
        now=T0,
    )
    texts = services.raise_need(
        actor=resident,
        district=hierarchy.district,
        category="environment",
        description="楼道灯又坏了",
        compound=hierarchy.compound_xingfu,
        contact_preference="sms",
        now=T0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        walk(calls, community_staff, upto="accept")
    assert outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        walk(texts, community_staff, upto="accept")
    assert [phone for phone, _m in outbox] == ["13900001111"]


def test_steps_that_change_no_status_and_ones_own_steps_are_not_texted(
    followed: Need,
    community_staff: Any,
    resident: Any,
    outbox: list[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    walk(followed, community_staff, upto="resolve")
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.log_follow_up(actor=community_staff, need_id=followed.pk, outcome="reached")
        services.rate_need(actor=resident, need_id=followed.pk, level="satisfied")
    assert outbox == []


def test_followers_of_a_merged_need_keep_being_texted(
    hierarchy: Any,
    need: Need,
    community_staff: Any,
    outbox: list[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    neighbour = _resident(hierarchy, "13900003333")
    duplicate = services.raise_need(
        actor=neighbour,
        district=hierarchy.district,
        category="environment",
        description="垃圾桶满了",
        compound=hierarchy.compound_xingfu,
        now=T0,
    )
    services.merge_needs(actor=community_staff, need_id=duplicate.pk, into_id=need.pk, now=T0)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        walk(need, community_staff, upto="accept")
    assert [phone for phone, _m in outbox] == ["13900003333"]


def test_an_inactive_follower_is_not_texted(
    followed: Need,
    community_staff: Any,
    outbox: list[tuple[str, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from linli.accounts.models import User

    User.objects.filter(phone="13900004444").update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        walk(followed, community_staff, upto="accept")
    assert [phone for phone, _m in outbox] == ["13900003333"]

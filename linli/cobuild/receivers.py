"""How the co-construction day reacts to other apps, connected from ``CobuildConfig.ready``.

The resident's 评价 of a need (``linli.needs.signals.need_changed`` with a ``rate`` step) closes
the projects that waited for the residents' evaluation (docs/cobuild.md §4).
"""

from __future__ import annotations

from typing import Any

from linli.needs.models import Need, NeedStep
from linli.needs.models import Status as NeedStatus
from linli.needs.signals import need_changed


def _need_rated(sender: Any, need: Need, step: NeedStep, **kwargs: Any) -> None:
    if step.action != NeedStep.Action.RATE:
        return
    from linli.cobuild.services.projects import close_by_rating

    # rate_need may reopen the need in the same transaction: the stored status tells.
    status = Need.objects.filter(pk=need.pk).values_list("status", flat=True).first()
    close_by_rating(
        need_id=need.pk,
        level=need.rating_level,
        reopened=status == NeedStatus.IN_PROGRESS,
    )


def connect() -> None:
    need_changed.connect(_need_rated, dispatch_uid="cobuild.need_rated")

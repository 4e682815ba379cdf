"""Background tasks of activities (Django's tasks framework; the database backend in production).

Tasks carry ids only and re-read the row, so a retried task tells nobody twice about a place
they no longer hold.
"""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.sms import get_sender


@task()
def tell_place_freed(signup_id: int) -> str:
    """Text the person who moved off the waiting list that they now have a place."""
    from linli.activities.models import SignUp

    signup = SignUp.objects.select_related("activity").filter(pk=signup_id).first()
    if signup is None or signup.status != SignUp.Status.CONFIRMED:
        return "skipped"
    with translation.override("zh-hans"):
        start = timezone.localtime(signup.occurrence)
        message = _(
            "Linli: a place has come free and is now yours: %(title)s, %(month)s/%(day)s "
            "%(time)s. If you cannot come, please cancel so the next person may go."
        ) % {
            "title": signup.activity.title,
            "month": start.month,
            "day": start.day,
            "time": start.strftime("%H:%M"),
        }
    get_sender().send(phone=signup.phone, message=message)
    return "sent"

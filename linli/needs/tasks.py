"""Background tasks of needs (Django's tasks framework; the database backend in production).

``sweep_deadlines`` is enqueued every few minutes by ``linli needs_sweep`` (cron or a systemd
timer, docs/deadlines.md); the worker (``linli db_worker``) runs it. Running it twice is harmless.

``tell_followers`` is enqueued after a step that changed a need's status has committed
(``services._log``): it texts the need's followers and, if they asked for text messages, the
resident (docs/needs.md, "Text messages").
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from linli.accounts.sms import get_sender


@task()
def sweep_deadlines() -> str:
    """Send deadline reminders and escalate overdue needs; returns "reminded/escalated"."""
    from linli.needs import services

    services.recompute_unknown_deadlines()
    reminded, escalated = services.sweep_deadlines()
    return f"{reminded}/{escalated}"


@task()
def tell_followers(step_id: int) -> str:
    """Text the followers of a need (and the resident who asked for texts) its new status.

    The message carries what the public may read of the need (its number, the summary staff
    wrote, the status and the step's public note), never anyone's name or phone. Returns how
    many messages were sent.
    """
    from linli.needs.models import NeedStep, Status
    from linli.needs.queries import sms_recipients

    step = NeedStep.objects.select_related("need").filter(pk=step_id).first()
    if step is None:
        return "0"
    need = step.need
    phones = sms_recipients(need, exclude_user_id=step.actor_id)
    if not phones:
        return "0"
    with translation.override(settings.LANGUAGE_CODE):
        what = need.public_summary or need.get_category_display()
        status = str(Status(step.to_status).label)
        if step.public_note:
            message = _("Linli: need %(ref)s (%(what)s) is now “%(status)s”: %(note)s") % {
                "ref": need.reference,
                "what": what,
                "status": status,
                "note": step.public_note,
            }
        else:
            message = _("Linli: need %(ref)s (%(what)s) is now “%(status)s”.") % {
                "ref": need.reference,
                "what": what,
                "status": status,
            }
    if len(message) > 200:
        message = message[:199] + "…"
    sender = get_sender()
    for phone in phones:
        sender.send(phone=phone, message=message)
    return str(len(phones))

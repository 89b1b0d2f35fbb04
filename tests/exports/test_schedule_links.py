"""Scheduled exports mailed as a signed link: the link in the mail downloads the file over
real HTTP from the web process, and stops working when it expires."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from exports import conf, files, schedules, services
from exports.models import ExportJob, ExportSchedule
from tests.exports.helpers import RANGE, make_readings, plug
from tests.live import wait_until
from tests.support import api_client_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LINKED = {
    "name": "Weekly link",
    "schedule": "0 9 * * 1",
    "export_config": {"export_type": "device_data", "format": "csv", "date_range": RANGE},
    "delivery": {"method": "email", "recipients": ["ops@example.com"], "link": True},
}
LINK = re.compile(r"https?://\S+/download/\S+")


def _download(base: str, link: str):
    """GET the link's path from the live web process; (status, headers, body or error JSON)."""
    try:
        with urllib.request.urlopen(base + urlsplit(link).path, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, json.loads(refused.read())


def _run_due(schedule) -> ExportJob:
    ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now())
    assert schedules.run_due_schedules() == 1
    job = ExportJob.objects.get(schedule=schedule)
    services.export_run(job.pk)
    return ExportJob.objects.get(pk=job.pk)


@pytest.mark.parametrize(
    ("delivery", "limits"),
    [({"link": True}, {}), ({"link": False}, {"attachment_max_mb": 0})],
    ids=["link asked for", "file over the attachment limit"],
)
def test_the_mailed_link_downloads_the_export_and_expires(
    operator_user, mailoutbox, live_server_url, settings, delivery, limits
):
    settings.EXPORT_LIMITS = limits
    make_readings(plug(alias="Lamp"), count=4)
    data = {**LINKED, "delivery": {**LINKED["delivery"], **delivery}}
    schedule = schedules.schedule_create(user=operator_user, data=data)
    job = _run_due(schedule)
    (mail,) = mailoutbox
    assert mail.attachments == [] and "The link works for 7 days" in mail.body
    link = LINK.search(mail.body)[0]
    assert link.startswith(settings.FRONTEND_URL + "/download/")
    status, headers, body = _download(live_server_url, link)
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert body == files.job_path(job).read_bytes() and body.count(b"\n") == 5

    # Made a week and two minutes ago, the same kind of link no longer works.
    mailoutbox.clear()
    week_ago = timezone.now() - timedelta(minutes=conf.limit("signed_link_minutes") + 2)
    with time_machine.travel(week_ago):
        _run_due(schedules.schedule_create(user=operator_user, data=data))
    status, _headers, refused = _download(live_server_url, LINK.search(mailoutbox[0].body)[0])
    assert status == 401 and refused["error_code"] == "SIGNATURE_EXPIRED"


def test_a_schedule_run_by_the_worker_mails_a_working_link(
    live_worker, live_server_url, operator_user
):
    make_readings(plug(alias="Lamp"), count=3)
    created = api_client_for(operator_user).post("/api/exports/schedules", LINKED, format="json")
    assert created.status_code == 201, created.json()
    ExportSchedule.objects.update(next_run_at=timezone.now())
    from exports.tasks import run_export_schedules

    run_export_schedules.delay()  # as the beat's "exports: run scheduled exports" does
    outbox = settings.DATA_DIR / "mail"
    sent = wait_until(
        lambda: [m for m in outbox.glob("*.log") if b"ops@example.com" in m.read_bytes()],
        timeout=60,
        what="the worker to mail the scheduled export",
    )
    mail = message_from_bytes(sent[0].read_bytes())
    assert not mail.is_multipart()  # a link, no attachment
    link = LINK.search(mail.get_payload(decode=True).decode())[0]
    status, _headers, body = _download(live_server_url, link)
    job = ExportJob.objects.get(schedule__name="Weekly link")
    assert status == 200 and body == files.job_path(job).read_bytes()
    assert body.count(b"\n") == 4


@pytest.mark.django_db
def test_an_owner_who_may_no_longer_export_gets_a_notice_not_a_link(operator_user, mailoutbox):
    make_readings(plug(alias="Lamp"), count=2)
    schedule = schedules.schedule_create(user=operator_user, data=LINKED)
    operator_user.role = "viewer"  # viewers lack data.export: no link may be signed for them
    operator_user.save()
    _run_due(schedule)
    (mail,) = mailoutbox
    assert mail.attachments == [] and not LINK.search(mail.body)
    assert "No download link could be made" in mail.body

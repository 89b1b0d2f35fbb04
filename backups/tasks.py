"""Celery tasks of the backups app: thin wrappers around its services."""

from celery import shared_task

from kasamonitor.jobs import run_heavy

from . import schedules, services


def _run_backup_failed(self, exc, task_id, args, kwargs, einfo):
    services.backup_jobs_mark_failed(f"The backup task crashed: {exc}", pk=args[0])


def _scheduled_backup_failed(self, exc, task_id, args, kwargs, einfo):
    services.backup_jobs_mark_failed(f"The backup task crashed: {exc}", schedule_id=args[0])


@shared_task(bind=True, ignore_result=True, on_failure=_run_backup_failed)
def run_backup_job(self, job_id: int, sealed_password: str | None = None) -> None:
    run_heavy(self, services.backup_job_run, job_id, sealed_password)


@shared_task(bind=True, ignore_result=True, on_failure=_scheduled_backup_failed)
def run_scheduled_backup(self, schedule_id: int) -> None:
    run_heavy(self, schedules.schedule_run, schedule_id)

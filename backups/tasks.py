from celery import shared_task

from kasamonitor.jobs import run_heavy

from . import schedules, services


@shared_task(bind=True, ignore_result=True)
def run_backup_job(self, job_id: int, sealed_password: str | None = None) -> None:
    run_heavy(self, services.backup_job_run, job_id, sealed_password)


@shared_task(bind=True, ignore_result=True)
def run_scheduled_backup(self, schedule_id: int) -> None:
    run_heavy(self, schedules.schedule_run, schedule_id)

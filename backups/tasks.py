from celery import shared_task

from . import schedules, services


@shared_task(ignore_result=True)
def run_backup_job(job_id: int, sealed_password: str | None = None) -> None:
    services.backup_job_run(job_id, sealed_password)


@shared_task(ignore_result=True)
def run_scheduled_backup(schedule_id: int) -> None:
    schedules.schedule_run(schedule_id)

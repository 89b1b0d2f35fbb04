"""Celery tasks of the exports app: thin wrappers around its services."""

from celery import shared_task

from kasamonitor.jobs import run_heavy

from . import retention, schedules, services


def _run_export_failed(self, exc, task_id, args, kwargs, einfo):
    services.export_mark_failed(args[0], f"The export task crashed: {exc}")


# acks_late (and reject_on_worker_lost in settings): a killed worker's job is not lost silently;
# export_run only claims "queued" jobs, and fail_stale_jobs fails the ones left "running".
@shared_task(bind=True, acks_late=True, ignore_result=True, on_failure=_run_export_failed)
def run_export(self, export_id: str) -> None:
    run_heavy(self, services.export_run, export_id)


@shared_task(ignore_result=True)
def cleanup_expired_exports() -> dict:
    return retention.cleanup_expired()


@shared_task(ignore_result=True)
def fail_stale_exports() -> int:
    return services.fail_stale_running()


@shared_task(ignore_result=True)
def run_export_schedules() -> int:
    return schedules.run_due_schedules()

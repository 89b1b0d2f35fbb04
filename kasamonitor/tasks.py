"""Celery tasks of the project package itself."""

from celery import shared_task


@shared_task
def ping() -> str:
    """Answer "pong": lets health checks and tests prove a worker really runs tasks."""
    return "pong"

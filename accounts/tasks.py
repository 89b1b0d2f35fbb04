"""Celery tasks of the accounts app: thin wrappers around its services."""

from celery import shared_task

from . import passwords


@shared_task(ignore_result=True)
def send_password_reset(email: str) -> None:
    passwords.reset_request(email)


@shared_task(ignore_result=True)
def prune_expired() -> None:
    from .cleanup import prune_expired as prune

    prune()

import pytest

from kasamonitor.celery import app as celery_app


@pytest.fixture(autouse=True)
def _price_in_process():
    """Run the pricing task inline: the stored costs are there right after the signal."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False

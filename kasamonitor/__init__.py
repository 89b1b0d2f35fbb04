"""The Kasa Monitor project package.

The Celery app is loaded with Django (KasamonitorConfig.ready), not with this package: the
`make run` launcher imports kasamonitor.run without Django or Celery and stays small.
"""


def __getattr__(name: str):
    if name == "celery_app":
        from .celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

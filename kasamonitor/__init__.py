"""The Kasa Monitor project package.

The Celery app is loaded with Django (KasamonitorConfig.ready), not with this package: the
`make run` launcher imports kasamonitor.run without Django or Celery and stays small.

Importing the package installs the refusal of our libraries' unused optional imports
(kasamonitor/optional_imports.py) before any of them loads.
"""

from . import optional_imports

optional_imports.refuse()


def __getattr__(name: str):
    if name == "celery_app":
        from .celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

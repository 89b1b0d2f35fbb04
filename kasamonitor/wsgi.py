"""WSGI entry point (the web process serves ASGI: kasamonitor/asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
application = get_wsgi_application()

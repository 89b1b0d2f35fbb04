#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kasamonitor.settings")
    from kasamonitor.embedded_redis import use_running
    from kasamonitor.run import data_dir, ensure_secret_key

    # Like `make run`: without SECRET_KEY, use (or create) the key kept in $KASA_DATA_DIR;
    # without REDIS_URL, the embedded Redis of a `make run` running on the same data dir.
    ensure_secret_key(data_dir())
    use_running(data_dir())
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""A one-line progress display shared by the backup commands."""

from __future__ import annotations


class ProgressLine:
    def __init__(self, stdout, enabled: bool = True):
        self.stdout = stdout
        self.enabled = enabled
        self.last = (None, -1)

    def __call__(self, stage: str, percent: int) -> None:
        if not self.enabled or (stage, percent // 5) == self.last:
            return  # one line per stage and 5 %, so logs stay readable
        self.last = (stage, percent // 5)
        self.stdout.write(f"[{percent:3d}%] {stage}")


def ask_password(getpass, *, confirm: bool) -> str:
    from django.core.management.base import CommandError

    password = getpass("Archive password: ")
    if confirm and password != getpass("Repeat the password: "):
        raise CommandError("The passwords do not match.")
    if not password:
        raise CommandError("An empty password was given.")
    return password

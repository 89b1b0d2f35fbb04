"""The password policy as a Django validator, so the API, the admin and createsuperuser share it."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError

SPECIAL = r"""[!@#$%^&*(),.?":{}|<>\[\]\\/'`~_+=;-]"""


class PolicyValidator:
    """Length, upper, lower, digit and special character rules, each switchable in settings."""

    def _rules(self) -> list[tuple[bool, str, str, str]]:
        p = settings.PASSWORD_POLICY
        return [
            (p["require_uppercase"], r"[A-Z]", "password_no_upper", "an uppercase letter"),
            (p["require_lowercase"], r"[a-z]", "password_no_lower", "a lowercase letter"),
            (p["require_digits"], r"\d", "password_no_digit", "a digit"),
            (p["require_special"], SPECIAL, "password_no_special", "a special character"),
        ]

    def validate(self, password: str, user=None) -> None:
        errors = []
        min_length = settings.PASSWORD_POLICY["min_length"]
        if len(password) < min_length:
            errors.append(
                ValidationError(
                    f"Password must be at least {min_length} characters long.",
                    code="password_too_short",
                )
            )
        for enabled, pattern, code, what in self._rules():
            if enabled and not re.search(pattern, password):
                errors.append(ValidationError(f"Password must contain {what}.", code=code))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        wanted = [what for enabled, _, _, what in self._rules() if enabled]
        length = settings.PASSWORD_POLICY["min_length"]
        return f"At least {length} characters, with " + ", ".join(wanted) + "."


class HistoryValidator:
    """Refuse any of the user's last PASSWORD_POLICY["history"] passwords; record each new one."""

    def validate(self, password: str, user=None) -> None:
        count = settings.PASSWORD_POLICY["history"]
        if not count or user is None or user.pk is None:
            return
        from .passwords import is_recent

        if is_recent(user, password, count):
            raise ValidationError(
                f"Password cannot match any of your last {count} passwords.",
                code="password_reused",
            )

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            from .passwords import record_history

            record_history(user)

    def get_help_text(self) -> str:
        count = settings.PASSWORD_POLICY["history"]
        return f"It cannot be one of your last {count} passwords." if count else ""

"""make run's preparation: static files are collected again only when a source changed."""

from __future__ import annotations

import django.core.management

from kasamonitor.run import collect_static


def _count_collectstatic(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = django.core.management.call_command

    def spy(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(django.core.management, "call_command", spy)
    return calls


def test_a_restart_with_unchanged_static_sources_skips_collectstatic(
    settings, tmp_path, monkeypatch
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    calls = _count_collectstatic(monkeypatch)

    collect_static()
    collect_static()

    assert calls == ["collectstatic"]


def test_a_changed_static_source_is_collected_again(settings, tmp_path, monkeypatch):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    calls = _count_collectstatic(monkeypatch)
    collect_static()
    (settings.STATIC_ROOT / ".collected").write_text("sources of an older release")

    collect_static()

    assert calls == ["collectstatic", "collectstatic"]

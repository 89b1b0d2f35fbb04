from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    full_name = factory.LazyAttribute(lambda u: u.username.title())
    role = "viewer"
    password = factory.PostGenerationMethodCall("set_password", "Str0ng!Passw0rd")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "devices.Device"

    device_id = factory.Sequence(lambda n: f"50:C7:BF:00:{n // 256:02X}:{n % 256:02X}")
    mac = factory.LazyAttribute(lambda d: d.device_id[:17])
    host = factory.Sequence(lambda n: f"127.0.{n // 250 + 1}.{n % 250 + 1}")
    alias = factory.Sequence(lambda n: f"Plug {n}")
    model = "HS110"
    device_type = "plug"
    has_emeter = True
    status = "online"

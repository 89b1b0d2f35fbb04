from django.apps import AppConfig


class KasamonitorConfig(AppConfig):
    name = "kasamonitor"
    verbose_name = "Kasa Monitor"

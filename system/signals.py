"""What the system app tells the others when the configuration changes."""

from django.dispatch import Signal

# Sent inside the configuration's transaction with `seconds`: the devices app points its
# poll job at the new interval (devices/apps.py).
polling_interval_changed = Signal()

"""The peer's Django app."""

from django.apps import AppConfig


class PeerConfig(AppConfig):
    name = "bench.peers.drf"
    label = "peer"
    default_auto_field = "django.db.models.BigAutoField"

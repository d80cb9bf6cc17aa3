"""Make the benchmark's apps and rows; print their credentials as JSON."""

import json
import secrets
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from bench.peers.drf.models import App, Collection

HASHERS = {"default": "pbkdf2_sha256", "one-iteration": "pbkdf2_sha256_1"}


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rows", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        made = {
            "empty": self.app("default", "collections"),
            "full": self.app("default", "collections"),
            "one-iteration": self.app("one-iteration", "collections"),
        }
        owner = App.objects.get(app_key=made["full"]["app_key"])
        Collection.objects.bulk_create(
            Collection(
                app=owner,
                payfrom="+254712345678",
                amount=Decimal("100.00"),
                ref_no=f"BENCH-{n}",
                account_number=f"ACC-{n}",
                callback_url="http://127.0.0.1:9/webhook",
                category="bench",
                narration="Benchmark collection",
            )
            for n in range(options["rows"])
        )
        self.stdout.write(json.dumps(made))

    def app(self, hasher: str, products: str) -> dict[str, str]:
        key, secret = f"app_{secrets.token_hex(8)}", f"sk_{secrets.token_urlsafe(32)}"
        App.objects.create(
            app_key=key, products=products, password=make_password(secret, hasher=HASHERS[hasher])
        )
        return {"app_key": key, "app_secret": secret}

"""An app (the JWT's user: its key and hashed secret) and its collections."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class AppManager(BaseUserManager["App"]):
    """Looks apps up by key, as `authenticate()` does for users."""


class App(AbstractBaseUser):
    """An API client: `app_key` is its user name, `password` its hashed app secret."""

    app_key = models.CharField(max_length=64, unique=True)
    products = models.CharField(max_length=200, default="collections")  # comma-separated
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "app_key"
    objects = AppManager()


class Collection(models.Model):
    """A collection, with the fields jpay-server's wire format shows."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="collections")
    payfrom = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    ref_no = models.CharField(max_length=64)
    account_number = models.CharField(max_length=64, blank=True)
    callback_url = models.URLField(blank=True)
    status = models.CharField(max_length=16, default="PENDING")
    status_code = models.IntegerField(default=0)
    category = models.CharField(max_length=32, blank=True)
    narration = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, default="MPESA")
    channel_name = models.CharField(max_length=64, default="M-Pesa")
    channel_type = models.CharField(max_length=32, default="Mobile money")
    failure_reason = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = (models.Index(fields=["app", "-created_at", "-id"]),)

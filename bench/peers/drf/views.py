"""The three endpoints, written the way DRF and simplejwt's documentation show."""

from typing import Any

from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import PasswordField, TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView

from bench.peers.drf.models import Collection


class HasCollections(permissions.BasePermission):
    """The app must hold the `collections` product."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return "collections" in request.user.products.split(",")


class CollectionSerializer(serializers.ModelSerializer):
    app_code = serializers.IntegerField(source="app_id")

    class Meta:
        model = Collection
        exclude = ("app",)


class Collections(generics.ListAPIView):
    """GET the app's collections, newest first, a page at a time."""

    serializer_class = CollectionSerializer
    permission_classes = (permissions.IsAuthenticated, HasCollections)

    def get_queryset(self) -> Any:
        return Collection.objects.filter(app=self.request.user).order_by("-created_at", "-id")


class AppTokenSerializer(TokenObtainPairSerializer):
    """simplejwt's pair serializer, taking `app_key` and `app_secret`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["password"]
        self.fields["app_secret"] = PasswordField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        attrs["password"] = attrs.pop("app_secret")
        return super().validate(attrs)


class AppToken(TokenObtainPairView):
    """POST app_key + app_secret: an access and a refresh token."""

    serializer_class = AppTokenSerializer

"""The same paths as jpay-server's."""

from django.urls import path
from rest_framework_simplejwt.views import TokenRefreshView

from bench.peers.drf.views import AppToken, Collections

urlpatterns = [
    path("api/v1/auth/app/token", AppToken.as_view()),
    path("api/v1/auth/refresh", TokenRefreshView.as_view()),
    path("api/v1/payments/collections/checkouts", Collections.as_view()),
]

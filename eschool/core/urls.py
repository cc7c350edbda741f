from django.urls import path

from eschool.core import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("language/<str:code>/", views.language_switch, name="language"),
]

from django.urls import path

from eschool.live import views

app_name = "live"
urlpatterns = [
    path("live/sessions/<int:pk>/status.json", views.status_json, name="status"),
    path("live/sessions/<int:pk>/stream-key/", views.stream_key, name="stream_key"),
]

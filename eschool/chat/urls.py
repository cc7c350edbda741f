from django.urls import path

from eschool.chat import views

app_name = "chat"
urlpatterns = [
    path("sessions/<int:pk>/messages.json", views.messages_json, name="messages_json"),
    path("sessions/<int:pk>/recent.json", views.recent_json, name="recent_json"),
    path(
        "sessions/<int:pk>/messages/<int:message_id>/hide",
        views.message_hide,
        name="message_hide",
    ),
]

from django.urls import path

from eschool.homeschool import views

app_name = "homeschool"
urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]

from django.urls import path

from eschool.watching import views

app_name = "watching"
urlpatterns = [
    path("heartbeats", views.heartbeats, name="heartbeats"),
    path("sessions/<int:pk>/token.json", views.watch_token, name="token"),
    path("sessions/<int:pk>/resume.json", views.resume_json, name="resume"),
    path("sessions/<int:pk>/viewers.json", views.viewers_json, name="viewers_json"),
    path("sessions/<int:pk>/viewers/", views.viewers_fragment, name="viewers"),
    path("sessions/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("sessions/<int:pk>/attendance.xlsx", views.attendance_xlsx, name="attendance_xlsx"),
    path("attendance/", views.attendance_list, name="attendance_list"),
    path("mine/", views.my_history, name="mine"),
    path("children/<int:student_id>/", views.child_history, name="child"),
]

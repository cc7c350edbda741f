"""URLs of the courses part of the classroom; included by eschool/classroom/urls.py."""

from django.urls import path

from eschool.classroom.views import courses as views

urlpatterns = [
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("lectures/", views.lectures, name="lectures"),
    path("parenting/", views.parenting, name="parenting"),
    path("materials/<int:pk>/", views.material_download, name="material"),
    path("manage/courses/", views.course_manage, name="course_manage"),
    path("manage/courses/new/", views.course_new, name="course_new"),
    path("manage/courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path(
        "manage/courses/<int:pk>/sessions/new/",
        views.course_session_new,
        name="course_session_new",
    ),
    path("manage/courses/<int:pk>/materials/", views.material_manage, name="material_manage"),
    path(
        "manage/courses/materials/<int:pk>/delete/",
        views.material_delete,
        name="material_delete",
    ),
    path("manage/courses/speakers/", views.speaker_manage, name="speaker_manage"),
    path("manage/courses/speakers/new/", views.speaker_new, name="speaker_new"),
    path("manage/courses/speakers/<int:pk>/edit/", views.speaker_edit, name="speaker_edit"),
]

from django.urls import path

from eschool.tutoring.views import manage, student, teacher
from eschool.tutoring.views import room as room_views

app_name = "tutoring"

urlpatterns = [
    path("", student.home, name="home"),
    # Asking and waiting
    path("ask/", student.ask, name="ask"),
    path("question/<int:pk>/", student.question_detail, name="question"),
    path("question/<int:pk>/status/", student.question_status, name="question_status"),
    path("question/<int:pk>/edit/", student.question_edit, name="question_edit"),
    path(
        "question/<int:pk>/<str:action>/",
        student.question_action,
        name="question_action",
    ),
    path("photo/<int:pk>/", student.photo, name="question_photo"),
    path("history/", student.history, name="history"),
    # Teachers on duty
    path("duty/", teacher.duty, name="duty"),
    path("duty/panel/", teacher.duty_panel, name="duty_panel"),
    path("duty/clock/<str:direction>/", teacher.clock, name="clock"),
    path("offer/<int:pk>/<str:action>/", teacher.offer_action, name="offer_action"),
    path("shifts/", teacher.shift_list, name="shifts"),
    path("shifts/<int:pk>/swap/", teacher.shift_swap, name="shift_swap"),
    path("shifts/<int:pk>/cancel/", teacher.shift_cancel, name="shift_cancel"),
    path("written/", teacher.written_list, name="written"),
    path("written/<int:pk>/", teacher.answer, name="answer"),
    path("record/", teacher.record, name="my_record"),
    path("record/<int:pk>/", teacher.record, name="record"),
    # The district's administrators
    path("board/", manage.board, name="board"),
    path("board/panel/", manage.board_panel, name="board_panel"),
    path("coverage/", manage.coverage, name="coverage"),
    path("swaps/", manage.swaps, name="swaps"),
    path("swaps/<int:pk>/decide/", manage.swap_decide, name="swap_decide"),
    path("settings/", manage.settings_page, name="settings"),
    path("teachers/", manage.teachers, name="teachers"),
    # The 1-on-1 room (helper H's views)
    path("session/<int:pk>/", room_views.room_page, name="room"),
    path("session/<int:pk>/photo/", room_views.room_photo, name="room_photo"),
    path("session/<int:pk>/photo/<int:seq>/", room_views.room_photo_file, name="room_photo_file"),
    path("session/<int:pk>/end/", room_views.room_end, name="room_end"),
    path("session/<int:pk>/rate/", room_views.room_rate, name="room_rate"),
    path("session/<int:pk>/transfer/", room_views.room_transfer, name="room_transfer"),
    path("session/<int:pk>/report/", room_views.room_report, name="room_report"),
    path("session/<int:pk>/transcript/", room_views.transcript, name="transcript"),
]

from django.urls import path

from eschool.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("password/first/", views.first_password, name="first_password"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("people/<int:user_id>/reset-password/", views.reset_password, name="reset_password"),
    path("schools/", views.school_list, name="schools"),
    path("schools/<int:school_id>/", views.school_detail, name="school"),
    path("schools/<int:school_id>/people/", views.school_people, name="school_people"),
    path(
        "schools/<int:school_id>/teachers/passwords/",
        views.teacher_passwords,
        name="teacher_passwords",
    ),
    path(
        "homerooms/<int:homeroom_id>/passwords/",
        views.homeroom_passwords,
        name="homeroom_passwords",
    ),
    path("children/<int:student_id>/", views.child_detail, name="child_detail"),
]

from django.urls import path
from django.views.generic import TemplateView

app_name = "accounts"
_todo = TemplateView.as_view(template_name="base.html")
urlpatterns = [
    path("login/", _todo, name="login"),
    path("logout/", _todo, name="logout"),
    path("", _todo, name="home"),
    path("password/first/", _todo, name="first_password"),
]

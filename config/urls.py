from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("eschool.core.urls")),
    path("", include("eschool.classroom.urls")),
    path("accounts/", include("eschool.accounts.urls")),
    path("manage/", include("eschool.org.urls")),
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from eschool.live.media_views import media

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says.
    path(
        "favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True)
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("eschool.core.urls")),
    path("", include("eschool.classroom.urls")),
    path("accounts/", include("eschool.accounts.urls")),
    path("manage/", include("eschool.org.urls")),
    path("", include("eschool.homeschool.urls")),
    path("tutoring/", include("eschool.tutoring.urls")),
    path("manage/safety/", include("eschool.safety.urls")),
    path("chat/", include("eschool.chat.urls")),
    path("", include("eschool.live.urls")),
    path("watch/", include("eschool.watching.urls")),
    path("", include("eschool.live.upload_urls")),
    path("rtmp/", include("eschool.live.rtmp_urls")),  # nginx-rtmp's callbacks (OBS)
    # In development the app serves MEDIA_ROOT itself, with the headers nginx or a CDN sends
    # in production (docs/deploy-nginx-media.md).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media),
]

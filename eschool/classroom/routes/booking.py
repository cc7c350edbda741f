"""URLs of the booking part of the classroom; included by eschool/classroom/urls.py."""

urlpatterns = []

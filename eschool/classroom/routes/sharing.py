"""URLs of the sharing part of the classroom; included by eschool/classroom/urls.py."""

urlpatterns = []

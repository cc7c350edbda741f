"""URLs of the courses part of the classroom; included by eschool/classroom/urls.py."""

urlpatterns = []

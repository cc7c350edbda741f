from django.urls import path

from eschool.org import views

app_name = "org"
urlpatterns = [
    path("import/", views.import_upload, name="import_upload"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("import/<str:token>/commit/", views.import_commit, name="import_commit"),
    path("exports/", views.exports, name="exports"),
    path("templates/<slug:kind>.xlsx", views.template_download, name="template_download"),
    path("export/<slug:kind>.<slug:fmt>", views.export, name="export"),
]

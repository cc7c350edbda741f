from django.urls import path

from eschool.safety import views

app_name = "safety"
urlpatterns = [
    path("words/", views.words, name="words"),
    path("words/add/", views.word_add, name="word_add"),
    path("words/import/", views.words_import, name="words_import"),
    path("words/<int:pk>/remove/", views.word_remove, name="word_remove"),
]

from django.urls import path, re_path

from . import views

app_name = "blog"
urlpatterns = [
    path("", views.index, name="index"),
    path("posts/<int:pk>/", views.PostDetailView.as_view(), name="detail"),
    path("posts/<int:pk>/comment/", views.add_comment, name="comment"),
    re_path(r"^archive/(?P<year>[0-9]{4})/$", views.year_archive, name="archive"),
]

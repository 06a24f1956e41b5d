from django.urls import path, re_path

from djangoapp import views

urlpatterns = [
    path("tagged/<str:rid>/", views.tagged),
    path("stream/<str:rid>/<int:n>/", views.stream),
    path("astream/<str:rid>/<int:n>/", views.astream),
    path("file/<str:rid>/", views.file),
    path("error/<str:rid>/", views.error),
    re_path(r"^legacy/(?P<year>[0-9]{4})/$", views.legacy),
]

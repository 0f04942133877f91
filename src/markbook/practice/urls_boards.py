from django.urls import path

from markbook.practice import views_boards

app_name = "boards"

urlpatterns = [
    path("", views_boards.boards, name="home"),
]

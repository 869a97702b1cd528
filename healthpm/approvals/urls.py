from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("approval/", views.approval, name="approval"),
    path("approval/reauthenticated/", views.sign_reauthenticated, name="sign_reauthenticated"),
    path("reopen/", views.reopen, name="reopen"),
]

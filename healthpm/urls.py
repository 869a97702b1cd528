from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from healthpm.accounts import sso
from healthpm.accounts import views as account_views
from healthpm.api import web as api_web
from healthpm.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/login/code/", account_views.login_code, name="login_code"),
    path("accounts/mfa/", account_views.enrol, name="mfa_enrol"),
    path("accounts/mfa/recovery-codes/", account_views.recovery_codes, name="mfa_recovery_codes"),
    path("accounts/sso/login/", sso.SsoLoginView.as_view(), name="sso_login"),
    path("accounts/sso/callback/", sso.SsoCallbackView.as_view(), name="sso_callback"),
    path("accounts/sso/backchannel-logout/", sso.backchannel_logout, name="sso_backchannel_logout"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/keep-alive/", account_views.keep_alive, name="keep_alive"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("initiatives/", include("healthpm.initiatives.urls")),
    path("initiatives/<slug:slug>/gates/", include("healthpm.gates.urls")),
    path("initiatives/<slug:slug>/gates/", include("healthpm.collaboration.urls")),
    path("initiatives/<slug:slug>/", include("healthpm.approvals.urls")),
    path("initiatives/<slug:slug>/monitoring/", include("healthpm.monitoring.urls")),
    path("dashboard/", include("healthpm.dashboard.urls")),
    path("reviews/", include("healthpm.reviews.urls")),
    path("inbox/", include("healthpm.notifications.urls")),
    path("", include("healthpm.dossier.urls")),
    path("api/v1/", include("healthpm.api.urls")),
    path("api/tokens/", api_web.tokens_page, name="api_tokens"),
    path("api/tokens/<int:token_id>/revoke/", api_web.token_revoke_view, name="api_token_revoke"),
    path("admin/", admin.site.urls),
]

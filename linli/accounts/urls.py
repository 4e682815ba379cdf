from django.urls import path

from linli.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # Named in linli.accounts.middleware: where every unverified session is sent.
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/enrol/", views.totp_enrol, name="totp_enrol"),
    path("phone/", views.phone_login, name="phone_login"),
    path("me/", views.account, name="account"),
    path("phone/code/", views.phone_code, name="phone_code"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
]

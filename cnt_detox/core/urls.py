"""Pages of the core app: account security and the audit viewer."""

from django.urls import path

from cnt_detox.core import views_account, views_audit

app_name = "core"
urlpatterns = [
    path("account/", views_account.account, name="account"),
    path("account/password/", views_account.PasswordChangeView.as_view(), name="password-change"),
    path("account/otp/", views_account.otp_verify, name="otp-verify"),
    path("account/otp/setup/", views_account.otp_setup, name="otp-setup"),
    path("account/otp/backup-codes/", views_account.otp_backup_codes, name="otp-backup-codes"),
    path("account/otp/remove/", views_account.otp_remove, name="otp-remove"),
    path(
        "account/api-tokens/revoke/", views_account.api_tokens_revoke_all, name="api-tokens-revoke"
    ),
    path("audit/", views_audit.audit_log, name="audit"),
]

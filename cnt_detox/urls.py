from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cnt_detox.core import api as core_api
from cnt_detox.core import views as core_views
from cnt_detox.core import views_account, views_offline
from cnt_detox.core.admin_site import restrict_admin_site
from patients import api as patients_api

restrict_admin_site()

api_v1 = [
    path("auth/token/", core_api.TokenView.as_view(), name="api-token"),
    path("auth/logout/", core_api.ApiLogoutView.as_view(), name="api-logout"),
    path("units/", patients_api.UnitListView.as_view(), name="api-units"),
    path("session/", views_account.session_status, name="api-session"),
    path("", include("patients.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("tapering.api_urls")),
    path("", include("medication.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("aftercare.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("sw.js", views_offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", views_offline.manifest, name="web-manifest"),
    path("offline/", views_offline.queue, name="offline-queue"),
    path("offline/state/", views_offline.state, name="offline-state"),
    path("accounts/login/", views_account.LoginView.as_view(), name="login"),
    path("accounts/logout/", views_account.LogoutView.as_view(), name="logout"),
    path("accounts/keepalive/", views_account.session_keepalive, name="session-keepalive"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("patients/", include("patients.urls")),
    path("assessments/", include("assessments.urls")),
    path("tapering/", include("tapering.urls")),
    path("medication/", include("medication.urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("core/", include("cnt_detox.core.urls")),
    path("aftercare/", include("aftercare.urls")),
    # The patient's expiring link to their plain-language copy (no login).
    path("my-plan/", include("aftercare.public_urls")),
    path("fhir/R4/", include("fhir_r4.urls")),
]

urlpatterns += [path("bench/", include("bench.urls"))] if settings.BENCH_VIEWS else []  # bench/

handler500 = "cnt_detox.core.errors.server_error_page"

"""The installable bedside app shell (issue 14): manifest, service worker, queue page, state.

The service worker is served from the site root (a worker's scope is the folder of its
script) and is built from two static files, so the code stays in static files that the CSP
allows and no build step is needed. What it keeps on the device, and for how long, is in the
README ("Working offline at the bedside").
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cnt_detox.core.offline import offline_user_key, page_max_age

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Pages a nurse needs without a connection: kept on the device as last loaded.
OFFLINE_PAGES = (
    "^/reports/board/$",
    f"^/assessments/admissions/{UUID}/new/$",
    f"^/tapering/admissions/{UUID}/today/$",
    "^/offline/$",
)
# Form posts the service worker keeps on the device when they cannot reach the server.
QUEUED_POSTS = (
    f"^/assessments/admissions/{UUID}/new/$",
    f"^/tapering/admissions/{UUID}/today/record/$",
)
SHELL_ASSETS = ("css/app.css", "css/offline.css", "js/offline-store.js", "js/offline.js")


def _static_text(name: str) -> str:
    path = finders.find(name)
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    with staticfiles_storage.open(name) as handle:
        return handle.read().decode("utf-8")


def _worker_config() -> dict[str, Any]:
    return {
        "pageMaxAgeSeconds": int(page_max_age().total_seconds()),
        "stateUrl": reverse("offline-state"),
        "queueUrl": reverse("offline-queue"),
        "loginUrl": reverse("login"),
        "staticPrefix": settings.STATIC_URL_PATH,
        "offlinePages": list(OFFLINE_PAGES),
        "queuedPosts": list(QUEUED_POSTS),
        "assets": [static(name) for name in SHELL_ASSETS],
    }


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """sw.js: configuration, the shared queue code and the worker, in one script."""
    config = json.dumps(_worker_config(), sort_keys=True)
    body = (
        f"self.CNT_SW = {config};\n"
        + _static_text("js/offline-store.js")
        + "\n"
        + _static_text("js/sw.js")
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    # The browser checks for a new worker on each navigation; never let a proxy keep it.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "CNT Detox",
        "short_name": "CNT Detox",
        "description": "Bedside CIWA-B and doses for benzodiazepine-withdrawal units.",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5563",
        "icons": [
            {"src": static("core/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("core/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("core/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(json.dumps(data), content_type="application/manifest+json")


@never_cache
@require_GET
def state(request: HttpRequest) -> JsonResponse:
    """Who is logged in here (as the device names them) and a CSRF token, for the queue.

    Sent with X-Background-Poll, so it never keeps an idle session alive; an expired session
    answers 401 (IdleSessionMiddleware) and the queue waits for the next login.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    return JsonResponse(
        {
            "authenticated": True,
            "user": offline_user_key(request.user),
            "csrf": get_token(request),
        }
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The entries saved on this device; listed by static/js/offline.js from the device."""
    return render(request, "core/offline_queue.html")

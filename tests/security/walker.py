"""Discover every URL pattern at runtime and fill its parameters with real ids.

Used by test_url_walk.py (access control) and test_no_phi_leaks.py (logs and query strings).
Nothing here knows the features' URLs: routes come from the resolver, ids from whatever rows
exist, so a new endpoint is walked the moment it is mounted.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

MAX_COMBINATIONS = 12


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or "" when unnamed
    template: str  # "/patients/<uuid:public_id>/" with converters or regex groups
    params: tuple[tuple[str, str], ...]  # (name, kind) with kind uuid/int/str/path/choice:<x>

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""


_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


def _piece(pattern: Any) -> tuple[str, list[tuple[str, str]]]:
    """A pattern's text as a path template, and its parameters."""
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        params = [(m["name"], m["conv"] or "str") for m in _ROUTE_PARAM.finditer(text)]
        return text, params
    if isinstance(pattern, RegexPattern):
        text = pattern.regex.pattern
        params = []
        for m in _REGEX_GROUP.finditer(text):
            body = m["body"]
            kind = f"choice:{body.split('|')[0]}" if re.fullmatch(r"[\w|]+", body) else "str"
            params.append((m["name"], kind))
        text = _REGEX_GROUP.sub(lambda m: f"<{m['name']}>", text)
        text = text.lstrip("^").rstrip("$").replace("\\", "")
        return text, params
    return str(pattern), []


def discover_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns: Any, prefix: str, namespace: str, params: list) -> None:
        for p in patterns:
            text, own = _piece(p.pattern)
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, prefix + text, ns, params + own)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
                template = "/" + (prefix + text)
                routes.append(Route(name, template, tuple(params + own)))

    walk(get_resolver().url_patterns, "", "", [])
    return routes


def fill(route: Route, values: dict[str, Any]) -> str:
    def replace(m: re.Match[str]) -> str:
        return str(values[m["name"]])

    return _ROUTE_PARAM.sub(replace, route.template)


# --- Ids ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    model: str  # "admission"
    public_id: uuid.UUID | None
    pk: int


def objects_with_ids(exclude: set[tuple[str, int]] | None = None) -> list[Obj]:
    """One row per model (the first), of every model that has rows, minus ``exclude``."""
    exclude = exclude or set()
    found = []
    for model in apps.get_models():
        has_public = any(f.name == "public_id" for f in model._meta.fields)
        rows = model._default_manager.order_by("pk")
        for row in rows[:5]:
            if (model._meta.model_name, row.pk) in exclude:
                continue
            found.append(
                Obj(
                    model._meta.model_name,
                    getattr(row, "public_id", None) if has_public else None,
                    row.pk,
                )
            )
            break
    return found


def _segments(route: Route) -> set[str]:
    static = _ROUTE_PARAM.sub("/", route.template)
    return {seg for seg in static.replace("-", "/").replace("_", "/").split("/") if seg}


def candidates(route: Route, kind: str, param: str, pool: list[Obj]) -> list[Any]:
    """Values to try for one parameter: ids of the model the route or parameter names, else
    the ids of every model that has public ids."""
    if kind.startswith("choice:"):
        return [kind.split(":", 1)[1]]
    segments = _segments(route)
    flat = param.lower().replace("_", "")

    def points_at(model: str) -> bool:
        return model in flat or model in segments or f"{model}s" in segments

    named = [o for o in pool if points_at(o.model)]
    if not named and any(points_at(m._meta.model_name) for m in apps.get_models()):
        # The route is about a model with no rows here: nothing to leak, one try is enough.
        return [uuid.uuid4()] if kind == "uuid" else [0]
    chosen = named or [o for o in pool if o.public_id]
    if kind == "uuid":
        return [o.public_id for o in chosen if o.public_id] or [uuid.uuid4()]
    if kind == "int":
        return [o.pk for o in chosen] or [1]
    if kind in ("str", "path", "slug"):
        values: list[Any] = [o.pk for o in chosen]
        values += [o.public_id for o in chosen if o.public_id]
        return values or ["x"]
    return ["x"]


def urls_for(route: Route, pool: list[Obj]) -> Iterator[str]:
    if not route.params:
        yield fill(route, {})
        return
    names = [p for p, _ in route.params]
    options = [candidates(route, kind, name, pool) for name, kind in route.params]
    for combo in itertools.islice(itertools.product(*options), MAX_COMBINATIONS):
        yield fill(route, dict(zip(names, combo, strict=True)))

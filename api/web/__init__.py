"""The web pages: server-rendered Ukrainian screens over the same use cases as the API.

``router`` holds every page; the app includes it with one line. Pages
parse a form, build a :class:`~usecases.context.Context` from the session
cookie, call one use case and render a Jinja2 template (``docs/web.md``).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import admin, desk, documents, dpo, office, oidc, pages, retention, scans, search

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(search.router)
router.include_router(documents.router)
router.include_router(admin.router)
router.include_router(desk.router)
router.include_router(office.router)
router.include_router(scans.router)
router.include_router(dpo.router)
router.include_router(retention.router)
router.include_router(oidc.router)

__all__ = ["router"]

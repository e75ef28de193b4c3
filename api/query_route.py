"""A route whose query is one parameter model, solved from what is computed once.

FastAPI solves a route's parameters on every request by inspecting the
annotation of every field (sequence or not, aliases, extras) and by walking
its dependency tree: about a millisecond of CPU of a search's six. A route
declared as ``def endpoint(ctx: ContextDep, params: Annotated[Model, Query()])``
that returns its own ``Response`` (a ``JSONResponse`` of the schema's shape),
made with ``route_class=ContextQueryRoute``, does the same work with the field
list resolved once at start-up: the caller's context from
``api.deps.get_context``, then the query validated by FastAPI's own model
field (so the 422 problems are FastAPI's, location ``("query", name)``).
The endpoint runs in a thread, at most ``app.state.search_slots`` at once
(``ServerSettings.search_slots``; waiting in turn, first come first served).
With slots, a search that is alone on its worker runs on the event loop
instead: handing it to a thread and its answer back costs two thread
wake-ups, about 0.3 ms of a 3 ms search on this kind of machine, and a search
arriving meanwhile would have waited for the slot anyway. "Alone" is decided
after one turn of the loop, so the requests read with it are counted first;
under load the searches keep the slots' first-come order.

The route stays a FastAPI route: the OpenAPI document is generated from the
same signature. ``tests/api/test_query_route.py`` compares its answers, errors
included, with FastAPI's standard handling of the same endpoint.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.deps import get_context, oauth2_scheme

QUERY_LOC = ("query",)


class ContextQueryRoute(APIRoute):
    """``endpoint(ctx, params)``: the context dependency and one query model, nothing else."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        d = self.dependant
        shape_ok = (
            len(d.dependencies) == 1
            and d.dependencies[0].call is get_context
            and len(d.query_params) == 1
            and not (d.path_params or d.header_params or d.cookie_params or d.body_params)
            and not (d.request_param_name or d.response_param_name)
        )
        model = d.query_params[0].field_info.annotation if shape_ok else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.path}: ContextQueryRoute needs (ctx: ContextDep, params: M)")
        field = d.query_params[0]
        ctx_name, params_name = str(d.dependencies[0].name), field.name
        endpoint = d.call
        assert endpoint is not None
        # (request name, repeated?) per field of the model, resolved once.
        fields = model.model_fields.items()
        wanted = [(f.alias or name, _is_list(f.annotation)) for name, f in fields]

        in_flight = 0  # searches of this route in this worker, answered or not

        async def handler(request: Request) -> Response:
            nonlocal in_flight
            in_flight += 1
            try:
                return await answer(request)
            finally:
                in_flight -= 1

        async def answer(request: Request) -> Response:
            ctx = await get_context(request, await oauth2_scheme(request))
            query = request.query_params
            values: dict[str, Any] = {}
            for alias, repeated in wanted:
                if repeated:
                    items = query.getlist(alias)
                    if items:
                        values[alias] = items
                elif (value := query.get(alias)) is not None:
                    values[alias] = value
            params, errors = field.validate(values, {}, loc=QUERY_LOC)
            if errors:
                raise RequestValidationError(errors)
            call = functools.partial(endpoint, **{ctx_name: ctx, params_name: params})
            # The app's search slots: searches of this worker in turn (ServerSettings).
            slots = getattr(request.app.state, "search_slots", None)
            if slots is None:
                result = await run_in_threadpool(call)
            else:
                # One turn of the loop first: the searches that came in with this one
                # reach the count above before it is read.
                await asyncio.sleep(0)
                if in_flight == 1 and slots.borrowed_tokens == 0:
                    result = call()  # alone: no hand-off to a thread and back
                else:
                    result = await anyio.to_thread.run_sync(call, limiter=slots)
            if not isinstance(result, Response):
                # The point is to skip FastAPI's work: the endpoint answers its own JSON.
                raise TypeError(f"{self.path}: the endpoint must return a Response")
            return result

        return handler


def _is_list(annotation: Any) -> bool:
    """A field a query may repeat (``?type=a&type=b``): FastAPI reads those with getlist."""
    from fastapi._compat import field_annotation_is_sequence

    return bool(field_annotation_is_sequence(annotation))

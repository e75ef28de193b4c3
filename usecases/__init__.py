"""The use cases: one function per action a user can take.

Each takes an explicit context (who acts, from where, with which backends,
see :mod:`usecases.context`) and typed input, decides through the one
access policy (:mod:`usecases.policy`), writes one audit entry, and returns
typed output or raises one of the errors of :mod:`usecases.errors`. The
adapters above (the command line, the HTTP API, the web pages, the station
agent) only parse, call one use case and render.
"""

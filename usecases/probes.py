"""Hash probes: what a caller may learn from "do you already have these bytes?".

The station protocol answers a known SHA-256 at once, with the document it
became. That answer is itself a read of document identity, so it follows
the policy like any read: a document the caller could not even see the
metadata of is not revealed (the upload proceeds as for unknown bytes).
"""

from __future__ import annotations

from archive.models import Document
from backends import Archive
from usecases.policy import Level, Principal, decide, scope_of


def hash_probe_visible(archive: Archive, p: Principal, doc: Document) -> bool:
    """Whether answering a hash probe with ``doc`` tells ``p`` nothing new.

    ``doc`` must still be attached to its session (its case is loaded here).
    """
    return decide(p, scope_of(doc, archive.settings.centre)).level >= Level.METADATA

"""Retention: rules, legal holds, disposition plans, transfers to the archival tier.

The model already carries what this package will act on (``retention_until``
and ``legal_hold`` on cases and documents, ``Document.*_tier``; the object
stores' ``transfer`` between tiers, with Object Lock on the S3 archival
bucket). The rules themselves — an uncollected result kept three months at
the centre, then passed to archival storage — are the next piece of work.
"""

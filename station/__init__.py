"""The station agent of a remote workplace (ВРМ): a network client of the central archive.

An adapter like ``api``: it keeps scans and offline registrations in a local
spool (:mod:`station.spool`) and delivers them over the archive's HTTP API
(:mod:`station.agent`). It uses the paper library (``scanner``) to print
forms and watch a scanner's folder, never the archive's database.
"""

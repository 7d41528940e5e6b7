"""Bringing staff into a firm: invitations, bulk import, membership moves and programme
assignments.

Services (plain functions on models): ``memberships`` (join, move, end), ``invitations``
(invite, accept, cancel), ``importing`` (read and check a CSV/XLSX staff list, then invite its
rows), ``assignments`` (assign programmes, cancel, complete on certification). The manager-facing
pages live under ``/firm/staff/`` (``urls``), scoped to the manager's own firm through
``lms.accounts.scoping.managed_firm``.
"""

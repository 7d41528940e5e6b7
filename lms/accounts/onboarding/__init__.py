"""Bringing staff into a firm: invitations, bulk import and membership moves.

Services (plain functions on models): ``memberships`` (join, move, end), ``invitations``
(invite, accept, cancel), ``importing`` (read and check a CSV/XLSX staff list, then invite its
rows), ``joining`` (accept in one step, and where a newcomer starts). The manager-facing pages
live under ``/firm/staff/`` (``urls``), scoped to the manager's own firm through
``lms.accounts.scoping.managed_firm``. Programme assignments, also under ``/firm/staff/``,
belong to certification (``exams.certificates.assignments``).
"""

"""Certification: programmes and assignments, issuance, certificates and their lifecycle, the
PDF, public verification and the signed credential. A Django app of its own (label
``certificates``) inside ``exams``: it reacts to exams and courses through their signals
(``exams.signals.exam_passed``, ``courses.signals.course_completed``), and neither imports it.
"""

"""Admission admin screens: the questionnaire's versions, the review of applications, and staff
entering an application (``staff_apply``)."""

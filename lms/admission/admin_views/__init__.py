"""Admission admin screens: the questionnaire's versions and the review of applications."""

"""Partner-firm admission review (准入审核): applications, the scored questionnaire, decisions
that expire, re-assessments, and the ban list."""

"""Compliance events, sent after the transaction that caused them commits.

Webhooks listen here, so the rating engine does not depend on who is notified.
"""

from django.dispatch import Signal

# user=<User>, snapshot=<RatingSnapshot>, previous_grade=<str | None>,
# previous_score=<Decimal | None>
rating_changed = Signal()
# finding=<Finding>, status=<FindingStatus> (confirmed, dismissed, appealed)
finding_status_changed = Signal()
# changes=<list[lms.compliance.recompute.RatingChange]>: sent by the rating engine once per
# recomputed chunk, after it commits, with every collector whose score, grade or formula version
# changed in it (plain values: user_id, firm_id, snapshot_id, score, grade, previous_score,
# previous_grade, formula_version, reason, changed_at). One signal per chunk, not per collector,
# so the nightly recompute stays cheap however many ratings change; listeners fan out themselves.
# The engine sends this instead of ``rating_changed``.
ratings_changed = Signal()

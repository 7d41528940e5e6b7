"""Certificate events, sent after the transaction that caused them commits.

Ratings and webhooks (``lms.compliance``) listen to these rather than being called from here, so
certificates do not depend on the modules that react to them.
"""

from django.dispatch import Signal

# certificate=<Certificate>
certificate_issued = Signal()
# certificate=<Certificate>, status=<CertificateStatus>: expired, revoked, superseded, suspended,
# or valid (a suspension lifted: reinstated, or a refreshed certificate replacing a suspended one)
certificate_status_changed = Signal()

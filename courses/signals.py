"""Course events other apps react to (certification listens for completed courses)."""

from django.dispatch import Signal

# user=<User>, course=<CoursePage>; sent inside the transaction that first completes the course
course_completed = Signal()

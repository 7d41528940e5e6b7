"""Exam events other apps react to (certification listens for passing attempts).

Exams know nothing about certificates: grading sends :data:`exam_passed` and the certification
app (``exams.certificates``) records an issuance request in its receiver.
"""

from django.dispatch import Signal

# attempt=<Attempt>; sent inside the grading transaction of a passing attempt (under the
# attempt's row lock), so whatever a receiver writes commits or rolls back with the grade.
exam_passed = Signal()

# question=<Question>, user=<User>; sent after a trainer saves a question in the admin (inside
# the request's transaction), so the certification app can close its update tasks.
question_saved = Signal()

"""One page that edits a draft application: basics, references, licences and answers.

Shared by the public resume page and the admin's "Enter an application". Saving keeps
everything it can: a file that passes its checks is stored even when a text field elsewhere on
the page has an error (the browser cannot re-send a file, so refusing it would lose it), and the
text is saved, all of it in one transaction, once every text field is valid. Whatever was typed
is shown again with the errors next to the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from lms import uploads
from lms.accounts.models import FirmKind

from .application import answer_for, applicant_questions
from .forms import AnswersForm, BasicsForm, LicenceForm, ReferenceFormSet
from .models import Answer, Application, LicenceDocument, Question


def _answers(application: Application) -> dict[int, Answer]:
    return {answer.question_id: answer for answer in application.answers.all()}


@dataclass
class Editor:
    """The forms of one draft, bound to a POST or not."""

    application: Application
    data: QueryDict | None = None
    files: MultiValueDict | None = None
    questions: list[Question] = field(init=False)

    def __post_init__(self) -> None:
        application, data, files = self.application, self.data, self.files
        self.questions = applicant_questions(application)
        self.basics = BasicsForm(data, instance=application, prefix="basics")
        self.is_agency = application.firm_kind == FirmKind.AGENCY
        self.references = ReferenceFormSet(data, instance=application, prefix="references")
        self.licence = LicenceForm(data, files, prefix="licence")
        self.answers = AnswersForm(
            self.questions, _answers(application), data=data, files=files, prefix="answers"
        )

    def text_forms_valid(self) -> bool:
        # Evaluate every form so that each shows its own errors.
        results = [
            self.basics.is_valid(),
            not self.is_agency or self.references.is_valid(),
            self.answers.is_valid() or not self._text_errors_in_answers(),
        ]
        return all(results)

    def _text_errors_in_answers(self) -> bool:
        return any(not name.endswith("-evidence") for name in self.answers.errors)

    def save(self) -> bool:
        """Store what is valid; True when the whole page was (nothing shows an error)."""
        licence_valid = self.licence.is_valid()
        self._store_files()
        text_valid = self.text_forms_valid()
        if text_valid:
            with transaction.atomic():
                self.basics.save()
                if self.is_agency:
                    self.references.save()
                self._store_answers()
        return text_valid and licence_valid and self.answers.is_valid()

    def _store_files(self) -> None:
        licence = self.licence.cleaned_data.get("file") if self.licence.is_valid() else None
        if licence:
            kind: uploads.Kind = self.licence.detected
            LicenceDocument.objects.create(
                application=self.application,
                kind=self.licence.cleaned_data["kind"],
                file=_renamed(licence, kind),
                content_type=kind.mime,
                original_name=(licence.name or "")[:200],
                size=licence.size or 0,
            )
            self.licence = LicenceForm(prefix="licence")  # the file is in; show an empty slot
        self.answers.is_valid()
        for question in self.questions:
            detected = self.answers.detected.get(question.pk)
            upload = self.answers.cleaned_data.get(f"q{question.pk}-evidence")
            if detected is None or not upload:
                continue
            answer = answer_for(self.application, question)
            if answer.evidence:
                answer.evidence.delete(save=False)
            answer.evidence = _renamed(upload, detected)
            answer.evidence_content_type = detected.mime
            answer.evidence_name = (upload.name or "")[:200]
            answer.save()

    def _store_answers(self) -> None:
        data = self.answers.cleaned_data
        options = {
            option.pk: option for question in self.questions for option in question.options.all()
        }
        for question in self.questions:
            answer = answer_for(self.application, question)
            option_pk = data.get(f"q{question.pk}-option")
            answer.option = options.get(option_pk) if option_pk else None
            answer.comment = data.get(f"q{question.pk}-comment", "")
            if answer.pk is None and answer.option is None and not answer.comment:
                continue  # nothing to keep
            answer.save()

    def apply_removals(self, data: QueryDict) -> None:
        """The "Remove" buttons next to a licence or an answer's evidence (they save too)."""
        for key, remove in (
            ("remove_licence", self.remove_licence),
            ("remove_evidence", self.remove_evidence),
        ):
            value = data.get(key, "")
            if value.isdigit() and len(value) < 19:
                remove(int(value))

    def remove_licence(self, pk: int) -> None:
        for licence in self.application.licences.filter(pk=pk):
            licence.file.delete(save=False)
            licence.delete()

    def remove_evidence(self, question_pk: int) -> None:
        for answer in self.application.answers.filter(question_id=question_pk).exclude(evidence=""):
            answer.evidence.delete(save=False)
            answer.evidence_content_type = answer.evidence_name = ""
            answer.save(update_fields=["evidence", "evidence_content_type", "evidence_name"])

    def context(
        self, *, licence_url: Callable[[int], str], evidence_url: Callable[[int], str]
    ) -> dict[str, Any]:
        """The template's context; the URLs serve a licence (by pk) and an answer's evidence
        (by question pk) to whoever may see this application."""
        answers = _answers(self.application)
        licences = list(self.application.licences.all())
        for licence in licences:
            licence.url = licence_url(licence.pk)  # type: ignore[attr-defined]
        rows = self.answers.rows(answers)
        for row in rows:
            answer = row["answer"]
            has_evidence = answer is not None and bool(answer.evidence)
            row["evidence_url"] = evidence_url(answer.question_id) if has_evidence else ""
        return {
            "application": self.application,
            "basics": self.basics,
            "is_agency": self.is_agency,
            "references": self.references,
            "licence_form": self.licence,
            "licences": licences,
            "answers_form": self.answers,
            "question_rows": rows,
        }


def _renamed(upload: Any, kind: uploads.Kind) -> Any:
    """The upload under a name whose extension agrees with its content."""
    upload.name = uploads.safe_name(upload.name, kind)
    return upload

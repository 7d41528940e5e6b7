"""One page that edits a draft application: basics, references, licences and answers.

Shared by the public resume page and the admin's "Enter an application". Saving keeps
everything it can: a file that passes its checks is stored even when a text field elsewhere on
the page has an error (the browser cannot re-send a file, so refusing it would lose it), and the
text is saved, all of it in one transaction, once every text field is valid. Whatever was typed
is shown again with the errors next to the fields.

A save may come from a page opened before the application was submitted (or got a new link, or
its review started). It locks and re-reads the row first and writes only the form's own columns,
so it never puts back what changed meanwhile; if the application is no longer a draft, nothing
at all is stored (no text, no file, no removal) and the page says so with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from lms import uploads
from lms.accounts.models import FirmKind

from .application import answer_for, applicant_questions
from .forms import AnswersForm, BasicsForm, LicenceForm, ReferenceFormSet
from .models import Answer, Application, ApplicationStatus, LicenceDocument, Question


def _answers(application: Application) -> dict[int, Answer]:
    return {answer.question_id: answer for answer in application.answers.all()}


@dataclass
class Editor:
    """The forms of one draft, bound to a POST or not."""

    application: Application
    data: QueryDict | None = None
    files: MultiValueDict | None = None
    questions: list[Question] = field(init=False)
    # Why the last save stored nothing (the application is no longer a draft), or "".
    refused: str = field(init=False, default="")
    _saved: bool = field(init=False, default=False)

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
        """Store what is valid; True when the whole page was (nothing shows an error).

        False with :attr:`refused` set when the application stopped being a draft after the
        page was opened: then nothing is stored."""
        licence_valid = self.licence.is_valid()
        text_valid = self.text_forms_valid()
        with transaction.atomic():
            current = (
                Application.objects.select_for_update()
                .filter(pk=self.application.pk)
                .only("status", "access_token_hash")
                .first()
            )
            self._saved = True
            if current is None or current.status != ApplicationStatus.DRAFT:
                self._refuse(current)
                return False
            self._store_files()
            if text_valid:
                self._store_text()
            if self.data is not None:
                self._remove(self.data)
        return text_valid and licence_valid and self.answers.is_valid()

    def _refuse(self, current: Application | None) -> None:
        if current is not None:  # show the status it has now, not the stale one
            self.application.status = current.status
            self.application.access_token_hash = current.access_token_hash
        self.refused = _(
            "This application was submitted (or its review started) after this page was "
            "opened, so nothing on this page was saved: neither the text below nor any file "
            "chosen. Copy anything you still need; the application as submitted is unchanged."
        )

    def _store_text(self) -> None:
        """The basics (only the form's own columns), references and answers."""
        application = self.basics.save(commit=False)
        columns = [name for name in self.basics.fields if not self.basics.fields[name].disabled]
        application.save(update_fields=[*columns, "updated_at"])
        if self.is_agency:
            self.references.save()
        self._store_answers()

    def _store_files(self) -> None:
        licence = self.licence.cleaned_data.get("file") if self.licence.is_valid() else None
        if licence:
            kind: uploads.Kind = self.licence.detected
            original_name = (licence.name or "")[:200]  # before _renamed changes it
            LicenceDocument.objects.create(
                application=self.application,
                kind=self.licence.cleaned_data["kind"],
                file=_renamed(licence, kind),
                content_type=kind.mime,
                original_name=original_name,
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
            answer.evidence_name = (upload.name or "")[:200]  # before _renamed changes it
            answer.evidence = _renamed(upload, detected)
            answer.evidence_content_type = detected.mime
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
        """The "Remove" buttons next to a licence or an answer's evidence (they save too).
        :meth:`save` already applies them under its lock (and a refused save removes nothing),
        so after a save this does nothing."""
        if not self._saved:
            self._remove(data)

    def _remove(self, data: QueryDict) -> None:
        self._saved = True
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
            "refused": self.refused,
        }


def _renamed(upload: Any, kind: uploads.Kind) -> Any:
    """The upload under a name whose extension agrees with its content."""
    upload.name = uploads.safe_name(upload.name, kind)
    return upload

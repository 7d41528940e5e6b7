"""Admin forms for question banks: what the editor may save, checked before anything is written.

The choice rules themselves live in :mod:`exams.validation` (shared with the importer); these
forms add what only the admin knows: the submitted inline choices, the chosen bank, and the
question or category as it is in the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import FilteredSelect

from .models import Question, QuestionCategory, QuestionType
from .validation import validate_choices, validate_placement


def category_paths(bank_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{category id: "Parent/Child"} for the given banks (all banks if None), in one query.

    ``QuestionCategory.path`` walks up the tree with a query per level; lists and selects
    need every path at once.
    """
    categories = QuestionCategory.objects.only("id", "parent_id", "name")
    if bank_ids is not None:
        categories = categories.filter(bank_id__in=set(bank_ids))
    nodes = {c.pk: (c.parent_id, c.name) for c in categories}
    paths: dict[int, str] = {}

    def path(pk: int) -> str:
        if pk not in paths:
            parent_id, name = nodes[pk]
            paths[pk] = f"{path(parent_id)}/{name}" if parent_id in nodes else name
        return paths[pk]

    for pk in nodes:
        path(pk)
    return paths


def descendant_ids(category_id: int) -> set[int]:
    """The category and everything below it, from one query over its bank."""
    rows = QuestionCategory.objects.filter(bank__categories__pk=category_id).values_list(
        "pk", "parent_id"
    )
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [category_id]
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, []))
    return found


def category_choices(exclude: Collection[int] = ()) -> list[tuple]:
    """Options for a category select that Wagtail's FilteredSelect narrows to the chosen bank:
    ``(id, path, [bank id])``, sorted by bank and path."""
    rows = QuestionCategory.objects.values_list("pk", "bank_id", "bank__name")
    paths = category_paths()
    options = sorted(
        (bank_name, paths[pk], pk, bank_id) for pk, bank_id, bank_name in rows if pk not in exclude
    )
    return [("", "---------")] + [(pk, path, [bank_id]) for _b, path, pk, bank_id in options]


class FractionInput(forms.NumberInput):
    """Shows a stored 0.5000000 as 0.5: the database keeps Moodle's seven places, people read
    fewer."""

    def format_value(self, value):
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        return super().format_value(value)


def bank_filtered_select() -> FilteredSelect:
    # The generic admin forms have no prefix, so the bank select's HTML id is "id_bank".
    return FilteredSelect(filter_field="id_bank")


def relabel(form: forms.Form, labels: dict[str, str]) -> None:
    """Labels for fields whose model gives none (Django would show "Bank", "Sort order" in
    English) or one that reads wrongly here (the shared msgid "name" is 姓名, a person's name)."""
    for name, label in labels.items():
        if name in form.fields:
            form.fields[name].label = label


class QuestionForm(WagtailAdminModelForm):
    """The question editor: placement in bank/category/case, and the choices' grading rules."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        relabel(
            self,
            {
                "bank": gettext_lazy("Question bank"),
                "name": gettext_lazy("Title"),
                "sort_order": gettext_lazy("Position in the case"),
            },
        )
        if "category" in self.fields:
            self.fields["category"].widget = bank_filtered_select()
            self.fields["category"].widget.choices = category_choices()
        if "parent" in self.fields:
            cases = Question.objects.filter(type=QuestionType.CASE).only("id", "name", "bank_id")
            if self.instance.pk:
                cases = cases.exclude(pk=self.instance.pk)
                self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                    pk=self.instance.pk
                )
            self.fields["parent"].widget = bank_filtered_select()
            self.fields["parent"].widget.choices = [("", "---------")] + [
                (case.pk, case.name, [case.bank_id]) for case in cases.order_by("name", "pk")
            ]

    def clean(self):
        cleaned_data = super().clean()
        bank = cleaned_data.get("bank")
        category = cleaned_data.get("category")
        parent = cleaned_data.get("parent")
        question_type = cleaned_data.get("type")

        if bank and category and category.bank_id != bank.pk:
            self.add_error("category", _("The category must belong to the chosen question bank."))
        if not question_type:
            return cleaned_data

        for message in validate_placement(
            question_type,
            parent_type=parent.type if parent else None,
            same_bank_as_parent=not (parent and bank) or parent.bank_id == bank.pk,
        ):
            self.add_error("parent", message)

        choices = self.submitted_choices()
        if choices is not None:
            errors = validate_choices(question_type, choices)
            for message in errors:
                self.add_error(None, message)
            # Also shown above the choices themselves, where the editor fixes them.
            self.formsets["choices"].non_form_errors().extend(errors)

        self._check_case_with_sub_questions(question_type, bank)
        return cleaned_data

    def submitted_choices(self) -> list[tuple[Decimal, str]] | None:
        """``(fraction, text)`` of the choices being kept, or None while a choice row itself is
        invalid (that row shows its own error; the question-level rules would only add noise)."""
        formset = self.formsets.get("choices")
        if formset is None or not formset.is_valid():
            return None
        choices = []
        for form in formset.forms:
            data = form.cleaned_data
            # Blank rows added and left empty have no cleaned data; deleted rows don't count.
            if not data or data.get("DELETE"):
                continue
            choices.append((data["fraction"], data["text"]))
        return choices

    def _check_case_with_sub_questions(self, question_type: str, bank) -> None:
        # self.instance still holds the saved values here: the form copies its data onto the
        # instance only after clean().
        saved = self.instance
        if not saved.pk or saved.type != QuestionType.CASE:
            return
        if not saved.sub_questions.exists():
            return
        if question_type != QuestionType.CASE:
            self.add_error(
                "type", _("This case has sub-questions, so it must stay a case scenario.")
            )
        if bank and bank.pk != saved.bank_id:
            self.add_error(
                "bank", _("A case with sub-questions cannot move to another question bank.")
            )


class QuestionBankForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        relabel(self, {"name": gettext_lazy("Name")})


class QuestionCategoryForm(WagtailAdminModelForm):
    """A category: its parent must be in the same bank and must not be inside it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        relabel(
            self,
            {
                "bank": gettext_lazy("Question bank"),
                "parent": gettext_lazy("Parent category"),
                "name": gettext_lazy("Name"),
            },
        )
        if "parent" in self.fields:
            below = descendant_ids(self.instance.pk) if self.instance.pk else set()
            self.fields["parent"].widget = bank_filtered_select()
            self.fields["parent"].widget.choices = category_choices(exclude=below)

    def clean(self):
        cleaned_data = super().clean()
        bank = cleaned_data.get("bank")
        parent = cleaned_data.get("parent")
        saved = self.instance
        if parent and saved.pk and parent.pk in descendant_ids(saved.pk):
            self.add_error(
                "parent", _("A category cannot sit inside itself or one of its sub-categories.")
            )
        elif bank and parent and parent.bank_id != bank.pk:
            self.add_error("parent", _("The parent category must be in the same question bank."))
        if (
            bank
            and saved.pk
            and bank.pk != saved.bank_id
            and (saved.questions.exists() or saved.children.exists())
        ):
            self.add_error(
                "bank",
                _(
                    "This category holds questions or sub-categories, "
                    "so it cannot move to another bank."
                ),
            )
        return cleaned_data

    def validate_constraints(self):
        """The model's unique-name constraints, reported in words an editor understands."""
        category = self.instance
        if category.bank_id and category.name:
            siblings = QuestionCategory.objects.filter(
                bank_id=category.bank_id, parent_id=category.parent_id, name=category.name
            ).exclude(pk=category.pk)
            if siblings.exists():
                self.add_error("name", _("There is already a category with this name here."))
                return
        super().validate_constraints()

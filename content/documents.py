"""The Wagtail document form, with the content check every non-admin upload goes through.

Trainers upload course material (slides, handouts, recordings) as Wagtail documents. Wagtail
checks the extension (``WAGTAILDOCS_EXTENSIONS``) and serves a document with the type that
extension implies, so the content must agree with it: an HTML page or a program renamed
``.pdf`` is refused here, with the same allow-list and messages as audit evidence
(``lms.uploads.DOCUMENT_TYPES``). Wagtail uses this base for the single upload, the multiple
uploader, the chooser's upload tab and "replace file" alike (``WAGTAILDOCS_DOCUMENT_FORM_BASE``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm

from lms import uploads


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            try:
                uploads.check_upload(file, file.name, uploads.DOCUMENT_TYPES, name_must_match=True)
            except uploads.UploadRejected as error:
                raise ValidationError(str(error), code="content_type") from error
        return file

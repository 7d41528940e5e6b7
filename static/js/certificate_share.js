/* "My certificates": copy a certificate's share link. Without the Clipboard API (or when the
 * browser refuses), the link stays in a read-only field, selected for the user to copy. */
(function () {
  "use strict";

  function selectLink(input) {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }

  document.querySelectorAll("[data-share]").forEach(function (share) {
    var input = share.querySelector("[data-share-input]");
    var button = share.querySelector("[data-share-copy]");
    var status = share.querySelector("[data-share-status]");
    input.addEventListener("focus", function () { selectLink(input); });
    if (!button || !navigator.clipboard || !window.isSecureContext) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(
        function () { status.textContent = button.dataset.copied; },
        function () {
          selectLink(input);
          status.textContent = button.dataset.failed;
        }
      );
    });
  });
})();

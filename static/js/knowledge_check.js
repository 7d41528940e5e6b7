/* Knowledge checks: instant, ungraded feedback when a learner picks an answer.
 * Progressive enhancement: without this script every check still works through its
 * "Show the answer" <details>; with it, that list appears once an answer has been chosen. */
(function () {
  "use strict";

  function enhance(check) {
    var feedback = check.querySelector(".knowledge-check__feedback");
    var verdict = check.querySelector(".knowledge-check__verdict");
    var choiceFeedback = check.querySelector(".knowledge-check__choice-feedback");
    var answers = check.querySelector(".knowledge-check__answers");
    var buttons = check.querySelectorAll(".knowledge-check__choice");
    if (!feedback || !verdict || !buttons.length) {
      return;
    }
    check.classList.add("is-enhanced");
    if (answers) {
      answers.hidden = true;
    }
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        var correct = button.getAttribute("data-correct") === "true";
        buttons.forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
          other.classList.remove("is-correct", "is-wrong");
        });
        button.classList.add(correct ? "is-correct" : "is-wrong");
        verdict.textContent =
          (correct ? "✓ " : "✗ ") +
          (correct ? check.getAttribute("data-correct-label") : check.getAttribute("data-wrong-label"));
        var text = button.getAttribute("data-feedback") || "";
        if (choiceFeedback) {
          choiceFeedback.textContent = text;
          choiceFeedback.hidden = !text;
        }
        feedback.classList.toggle("is-correct", correct);
        feedback.classList.toggle("is-wrong", !correct);
        feedback.hidden = false;
        if (answers) {
          answers.hidden = false;
        }
      });
    });
  }

  document.querySelectorAll(".knowledge-check").forEach(enhance);
})();

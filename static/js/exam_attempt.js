/* The exam attempt page: autosave, question navigator and countdown.
 *
 * Progressive enhancement: without this script the page is a plain form with "Save answers" and
 * "Finish and submit" buttons. The server decides everything (what counts as saved, when time is
 * up); this script only saves each change as it happens and shows the time the server gave. */
(function () {
  "use strict";

  var root = document.querySelector("[data-attempt]");
  var form = document.getElementById("attempt-form");
  if (!root || !form || !window.fetch) {
    return;
  }
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var saveUrl = root.getAttribute("data-save-url");
  var submitUrl = root.getAttribute("data-submit-url");
  var label = function (name) {
    return root.getAttribute("data-label-" + name) || "";
  };
  var globalStatus = root.querySelector("[data-global-status]");
  var answeredCount = root.querySelector("[data-answered-count]");
  var pending = {}; // position -> {inFlight, dirty, failures}
  var leaving = false;
  var timeIsUp = false;

  root.classList.add("is-enhanced");

  function fieldsetFor(position) {
    return form.querySelector('[data-question="' + position + '"]');
  }

  function choicesOf(fieldset) {
    var checked = fieldset.querySelectorAll("input:checked");
    return Array.prototype.map.call(checked, function (input) {
      return parseInt(input.value, 10);
    });
  }

  function setStatus(fieldset, text, state) {
    var status = fieldset.querySelector("[data-status]");
    if (status) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }
  }

  function refreshProgress() {
    var answered = 0;
    form.querySelectorAll("[data-question]").forEach(function (fieldset) {
      var isAnswered = choicesOf(fieldset).length > 0;
      var position = fieldset.getAttribute("data-question");
      var nav = root.querySelector('[data-nav="' + position + '"]');
      if (nav) {
        nav.classList.toggle("is-answered", isAnswered);
      }
      answered += isAnswered ? 1 : 0;
    });
    if (answeredCount) {
      answeredCount.textContent = String(answered);
    }
  }

  function refreshGlobal() {
    if (!globalStatus) {
      return;
    }
    var positions = Object.keys(pending);
    var failing = positions.some(function (p) {
      return pending[p].failures > 0;
    });
    if (failing) {
      globalStatus.textContent = label("retrying");
      globalStatus.setAttribute("data-state", "error");
    } else if (positions.length) {
      globalStatus.textContent = label("saving");
      globalStatus.setAttribute("data-state", "saving");
    } else {
      globalStatus.textContent = label("all-saved");
      globalStatus.setAttribute("data-state", "saved");
    }
  }

  function leaveTo(url) {
    leaving = true;
    window.location.assign(url);
  }

  function send(position) {
    var state = pending[position] || { inFlight: false, dirty: false, failures: 0 };
    pending[position] = state;
    if (state.inFlight) {
      state.dirty = true; // the newest answer goes out when this request returns
      return;
    }
    var fieldset = fieldsetFor(position);
    state.inFlight = true;
    state.dirty = false;
    setStatus(fieldset, label("saving"), "saving");
    refreshGlobal();
    fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify({ position: parseInt(position, 10), choices: choicesOf(fieldset) }),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            return { response: response, body: body };
          });
      })
      .then(function (result) {
        state.inFlight = false;
        if (result.response.status === 409) {
          // Submitted elsewhere or time is up: the server has closed the attempt.
          leaveTo((result.body && result.body.redirect) || window.location.href);
          return;
        }
        if (result.response.redirected || !result.body) {
          leaveTo(window.location.href); // signed out: reloading leads to the login page
          return;
        }
        if (!result.response.ok) {
          delete pending[position];
          setStatus(fieldset, result.body.error || label("retrying"), "error");
          refreshGlobal();
          return;
        }
        state.failures = 0;
        if (state.dirty) {
          send(position);
          return;
        }
        delete pending[position];
        setStatus(fieldset, result.body.answered ? label("saved") : "", "saved");
        refreshGlobal();
      })
      .catch(function () {
        // Offline or the server is unreachable: keep the answer and try again, backing off.
        state.inFlight = false;
        state.failures += 1;
        setStatus(fieldset, label("retrying"), "error");
        refreshGlobal();
        window.setTimeout(function () {
          if (!timeIsUp) {
            send(position);
          }
        }, Math.min(30000, 1000 * Math.pow(2, state.failures)));
      });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("[data-question]");
    if (!fieldset || timeIsUp) {
      return;
    }
    refreshProgress();
    send(fieldset.getAttribute("data-question"));
  });

  form.addEventListener("submit", function () {
    leaving = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving) {
      return undefined;
    }
    event.preventDefault();
    event.returnValue = label("leave");
    return label("leave");
  });

  // Countdown from the seconds the server gave, on the monotonic clock, so a wrong or changed
  // phone clock cannot stretch it. At zero the form goes to the server, which closes the attempt.
  var timer = root.querySelector("[data-timer]");
  var secondsLeft = parseInt(root.getAttribute("data-seconds-left"), 10) || 0;
  var endsAt = performance.now() + secondsLeft * 1000;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  function timeUp() {
    timeIsUp = true;
    if (timer) {
      timer.textContent = "0:00";
    }
    if (globalStatus) {
      globalStatus.textContent = label("time-up");
      globalStatus.setAttribute("data-state", "saving");
    }
    var confirm = form.querySelector("[data-confirm]");
    if (confirm) {
      confirm.value = "1";
    }
    leaving = true;
    form.setAttribute("action", submitUrl);
    form.submit();
  }

  function tick() {
    var left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
    if (timer) {
      timer.textContent = format(left);
      timer.parentNode.classList.toggle("is-low", left <= 300);
    }
    if (left <= 0) {
      timeUp();
      return;
    }
    // Wake at the next whole second of the countdown.
    window.setTimeout(tick, (endsAt - performance.now()) % 1000 || 1000);
  }

  refreshProgress();
  tick();
})();

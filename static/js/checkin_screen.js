// The trainer's check-in screen: shows the next QR code and 6-digit code when the current one
// rotates, counts down the seconds, and refreshes the number checked in. Data comes from the
// screen's JSON endpoint (data-state-url); the page works without this script, frozen.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-state-url");
  if (!url || body.getAttribute("data-open") !== "1") {
    return;
  }
  var qr = document.getElementById("checkin-qr");
  var digits = document.getElementById("checkin-digits");
  var seconds = document.getElementById("checkin-seconds");
  var count = document.getElementById("checkin-count");
  var expected = document.getElementById("checkin-expected");
  var stale = document.getElementById("checkin-stale");
  var left = parseInt(body.getAttribute("data-seconds-left"), 10) || 0;
  var window_ = null;
  var sinceRefresh = 0;
  var busy = false;
  var POLL_SECONDS = 5;

  function show(state) {
    if (!state.open) {
      window.location.reload();
      return;
    }
    if (state.window !== window_) {
      window_ = state.window;
      qr.src = state.qr;
      digits.textContent = state.digits;
    }
    left = state.seconds_left;
    seconds.textContent = String(left);
    count.textContent = String(state.checked_in);
    expected.textContent = String(state.expected);
    stale.hidden = true;
  }

  function refresh() {
    if (busy) {
      return;
    }
    busy = true;
    sinceRefresh = 0;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        stale.hidden = false;
      })
      .then(function () {
        busy = false;
      });
  }

  setInterval(function () {
    left = Math.max(0, left - 1);
    seconds.textContent = String(left);
    sinceRefresh += 1;
    if (left === 0 || sinceRefresh >= POLL_SECONDS) {
      refresh();
    }
  }, 1000);
  refresh();
})();

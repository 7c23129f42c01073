// Idle-session countdown: warns two minutes before the automatic logout and then reloads
// to the login page. Background polling does not reset it; only user activity on the page
// (which reaches the server on the next request) does.
(function () {
  "use strict";
  var el = document.getElementById("session-expiry");
  if (!el) return;
  var remaining = parseInt(el.dataset.remainingSeconds || el.dataset.idleSeconds, 10) * 1000;
  var deadline = Date.now() + remaining;
  var warnAt = 2 * 60 * 1000;
  var timeEl = el.querySelector(".js-expiry-time");
  var leaving = false;
  // Pages saved for offline use hold patient data: delete them before leaving (offline.js).
  function leave() {
    if (leaving) return;
    leaving = true;
    var go = function () { window.location.assign(el.dataset.loginUrl); };
    var shell = window.CNTOfflinePage;
    if (!shell) { go(); return; }
    shell.clearPages().then(go, go);
    setTimeout(go, 2000);
  }
  function fmt(d) { return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  function render() {
    var left = deadline - Date.now();
    if (left <= 0) { leave(); return; }
    if (timeEl) timeEl.textContent = fmt(new Date(deadline));
    if (left <= warnAt) {
      el.parentElement.classList.add("warning");
      el.setAttribute("role", "alert");
      el.textContent = "You will be logged out in " + Math.ceil(left / 1000) + " seconds. Save your work or reload the page to stay logged in.";
    }
  }
  render();
  setInterval(render, 1000);
})();

// Idle-session countdown. Two minutes before the automatic logout a banner at the top of the
// page warns and offers "Stay logged in". When the countdown runs out it does not navigate
// (a page load would count as activity and renew the session of an unattended board): it asks
// the server (/api/v1/session/, which never counts as activity) how long is left. The server
// has ended the session once the limit has passed (401), and only then is the login page shown.
(function () {
  "use strict";
  var el = document.getElementById("session-expiry");
  if (!el || !window.fetch) return;
  var banner = document.getElementById("session-warning");
  var bannerText = banner && banner.querySelector(".js-session-warning-text");
  var keepalive = banner && banner.querySelector("form.js-keepalive");
  var timeEl = el.querySelector(".js-expiry-time");
  var warnAt = 2 * 60 * 1000;
  var deadline = Date.now() + parseInt(el.dataset.remainingSeconds || el.dataset.idleSeconds, 10) * 1000;
  var checking = false, warnedChecked = false;

  function fmt(d) { return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  var leaving = false;
  function toLogin() {
    if (leaving) return;
    leaving = true;
    var go = function () {
      window.location.assign(el.dataset.loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
    };
    // Pages saved for offline use hold patient data: delete them first (offline.js).
    var shell = window.CNTOfflinePage;
    if (!shell) { go(); return; }
    shell.clearPages().then(go, go);
    setTimeout(go, 2000);
  }
  function setRemaining(seconds) {
    deadline = Date.now() + Math.max(seconds, 1) * 1000;
    if (seconds * 1000 > warnAt) { warnedChecked = false; if (banner) banner.hidden = true; }
  }
  function check() {
    if (checking) return;
    checking = true;
    fetch(el.dataset.statusUrl, {
      credentials: "same-origin", cache: "no-store",
      headers: { "X-Background-Poll": "1", "Accept": "application/json" }
    }).then(function (r) {
      if (r.status === 401) { toLogin(); return null; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) {
      if (body) setRemaining(body.remaining_seconds);
    }).catch(function () {
      // Offline and the idle time is up: the same as the server's idle logout (the saved
      // pages go; entries waiting on the device stay for the next login).
      if (deadline - Date.now() <= 0) { toLogin(); return; }
      deadline = Date.now() + 5000;  // offline: ask again shortly
    }).then(function () { checking = false; });
  }
  function render() {
    var left = deadline - Date.now();
    if (timeEl) timeEl.textContent = fmt(new Date(deadline));
    if (left <= 0) { check(); return; }
    if (left <= warnAt) {
      // Another tab may have been used meanwhile: the server knows.
      if (!warnedChecked) { warnedChecked = true; check(); }
      if (banner) {
        banner.hidden = false;
        bannerText.textContent = "You will be logged out in " + Math.ceil(left / 1000) +
          " seconds because this page has not been used. Press Stay logged in to continue.";
      }
    }
  }
  if (keepalive) {
    keepalive.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(keepalive.action, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Accept": "application/json" }, body: new FormData(keepalive)
      }).then(function (r) {
        if (r.status === 401 || r.redirected) { toLogin(); return null; }
        return r.ok ? r.json() : null;
      }).then(function (body) { if (body) setRemaining(body.remaining_seconds); });
    });
  }
  render();
  setInterval(render, 1000);
})();

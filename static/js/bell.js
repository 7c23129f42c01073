// Notification bell: refreshes the server-rendered count every 30 s. Marked as a background
// poll (X-Background-Poll: 1) so it never extends an idle session; without JavaScript the
// bell is a plain link with the count rendered on the page.
(function () {
  "use strict";
  var bell = document.querySelector(".bell[data-count-url]");
  if (!bell || !window.fetch) return;
  var countEl = bell.querySelector(".js-bell-count");
  var label = bell.querySelector(".bell-label");
  var title = document.title;
  function render(n) {
    countEl.textContent = String(n);
    bell.classList.toggle("has-open", n > 0);
    if (label) label.textContent = n === 1 ? "notification" : "notifications";
    document.title = n > 0 ? "(" + n + ") " + title : title;
  }
  function poll() {
    fetch(bell.dataset.countUrl, {
      credentials: "same-origin",
      headers: { "X-Background-Poll": "1", "Accept": "application/json" }
    }).then(function (r) {
      if (r.status === 401) { clearInterval(timer); return null; }
      return r.ok ? r.json() : null;
    }).then(function (body) {
      if (body && typeof body.open === "number") render(body.open);
    }).catch(function () { /* offline: keep the last count */ });
  }
  var timer = setInterval(poll, 30000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });
})();

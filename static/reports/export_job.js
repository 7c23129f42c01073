// Export job page: while the job waits or runs, fetch the page every few seconds and swap in
// the status section, so the bar moves without reloading the page (which would move a screen
// reader back to the top). Without JavaScript a <noscript> meta refresh reloads the page instead.
// A persistent live region announces only the end (ready, failed), not every row count.
(function () {
  "use strict";
  var section = document.getElementById("job-status");
  if (!section || !window.fetch) return;
  var every = parseInt(section.getAttribute("data-refresh-seconds"), 10) * 1000;
  if (!every) return;
  var live = document.getElementById("job-live");
  var timer = null;

  function poll() {
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        // Logged out or gone: let the browser show what the server says.
        if (response.redirected || !response.ok) { window.location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("job-status");
        if (!fresh) return;
        section.innerHTML = fresh.innerHTML;
        section.setAttribute("data-status", fresh.getAttribute("data-status"));
        if (!fresh.hasAttribute("data-refresh-seconds")) {
          clearInterval(timer);
          var heading = section.querySelector("h2");
          if (live && heading) live.textContent = "Export finished. " + heading.textContent;
        }
      })
      .catch(function () {
        var text = document.getElementById("job-progress-text");
        if (text) text.textContent = "Could not check the export just now; it carries on. Use Refresh now.";
      });
  }

  timer = setInterval(poll, every);
})();

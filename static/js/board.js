// Unit board refresh: every N seconds (and when the tab becomes visible again) fetch the
// table body and swap it in, keeping the scroll position and the focused link. The request
// carries X-Background-Poll: 1 so it does not count as activity for the idle logout.
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table || !window.fetch) return;
  var url = table.getAttribute("data-rows-url");
  var every = parseInt(table.getAttribute("data-refresh-seconds"), 10) * 1000 || 30000;
  var updated = document.getElementById("board-updated");
  var live = document.getElementById("board-live");
  var hint = document.querySelector(".js-only");
  if (hint) hint.hidden = false;
  var busy = false;

  function focused() {
    var el = document.activeElement;
    if (!el || !table.tBodies[0] || !table.tBodies[0].contains(el)) return null;
    var row = el.closest("tr[data-key]");
    if (!row) return null;
    var all = Array.prototype.slice.call(row.querySelectorAll("a, button"));
    return { key: row.getAttribute("data-key"), index: all.indexOf(el) };
  }

  function restore(place) {
    if (!place) return;
    var rows = table.tBodies[0].querySelectorAll("tr[data-key]");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-key") === place.key) {
        var all = rows[i].querySelectorAll("a, button");
        var target = all[place.index] || all[0];
        if (target) target.focus({ preventScroll: true });
        return;
      }
    }
  }

  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    var x = window.scrollX, y = window.scrollY, place = focused();
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "X-Background-Poll": "1" } })
      .then(function (response) {
        // Logged out (idle limit): show the login page instead of a stale board.
        if (response.status === 401 || response.redirected) { window.location.reload(); return null; }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        var body = tpl.content.querySelector("tbody");
        var old = table.tBodies[0];
        if (!body || !old) return;
        var changed = body.innerHTML !== old.innerHTML;
        if (changed) {
          table.replaceChild(body, old);
          restore(place);
          window.scrollTo(x, y);
          if (live) live.textContent = "Board updated.";
        }
        if (updated) updated.textContent = "Updated " + body.getAttribute("data-updated");
      })
      .catch(function () {
        if (updated) updated.textContent = "Could not update the board; it may be out of date. Use Refresh.";
      })
      .then(function () { busy = false; });
  }

  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();

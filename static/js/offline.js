// Bedside app shell on every page (issue 14): registers the service worker, shows what waits
// on this device (banner and the count beside the bell), lists the queue on /offline/, marks
// a page shown from the device's saved copy ("Offline: last updated 14:05, 35 min ago"),
// asks the worker to send the queue (page load, online event, every 30 s) and to save the
// pages a nurse needs from the unit board. Without JavaScript none of this runs and every
// form posts straight to the server as before.
/* global CNTOffline */
(function () {
  "use strict";
  var body = document.body;
  var store = window.CNTOffline;
  if (!body || !store || !window.indexedDB) return;
  var user = body.getAttribute("data-offline-user") || "";
  var copyAt = body.getAttribute("data-offline-copy");
  var fromCopy = copyAt !== null;
  var queueUrl = body.getAttribute("data-offline-queue-url") || "/offline/";
  var swUrl = body.getAttribute("data-offline-sw");
  var RETRY_MS = 30000;
  var removedNotice = 0;
  var lastWaiting = 0;

  function hhmm(d) {
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function ago(d) {
    var min = Math.max(0, Math.round((Date.now() - d.getTime()) / 60000));
    if (min < 1) return "just now";
    if (min <= 90) return min + " min ago";
    var h = Math.floor(min / 60), m = min % 60;
    return h + " h " + (m ? m + " min " : "") + "ago";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var ICONS = {
    waiting: "M6 19a5 5 0 0 1-.9-9.92A7 7 0 0 1 18.8 9.6 4.5 4.5 0 0 1 18 19zm5-9v4H8l4 4 4-4h-3v-4z",
    refused: "M12 2 1 21h22zm-1 7h2v6h-2zm0 8h2v2h-2z",
    sent: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
    offline: "M12 4a12 12 0 0 0-9 4l9 11 9-11a12 12 0 0 0-9-4zM2 2l20 20-1.4 1.4-20-20z"
  };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "offline-icon icon-" + name);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "22");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function waitingText(n, loginNeeded) {
    var t = "Saved on this device, not yet sent (" + n + " waiting).";
    if (loginNeeded) t += " Your session has ended: log in again to send " + (n === 1 ? "it" : "them") + ".";
    else if (!navigator.onLine) t += " It will be sent when the connection returns.";
    else t += " Sending when the server answers.";
    return t;
  }

  // --- Rendering ------------------------------------------------------------------------
  function renderIndicator(c) {
    var ind = document.querySelector(".queue-indicator");
    if (!ind) return;
    var n = c.waiting + c.refused;
    ind.hidden = n === 0;
    ind.classList.toggle("has-refused", c.refused > 0);
    ind.querySelector(".js-queue-count").textContent = String(n);
    ind.querySelector(".queue-label").textContent = c.refused ? "not sent" : "waiting";
    ind.setAttribute("title", waitingTextShort(c));
  }

  function waitingTextShort(c) {
    var parts = [];
    if (c.waiting) parts.push(plural(c.waiting, "entry", "entries") + " saved on this device, not yet sent");
    if (c.refused) parts.push(plural(c.refused, "entry", "entries") + " not accepted by the server");
    return parts.join("; ");
  }

  function bannerLine(kind, text, link, linkText) {
    var p = el("p", { "class": "offline-line offline-" + kind });
    p.appendChild(icon(kind));
    p.appendChild(el("span", {}, text));
    if (link) {
      p.appendChild(document.createTextNode(" "));
      p.appendChild(el("a", { href: link }, linkText));
    }
    return p;
  }

  function renderBanner(rows, loginNeeded) {
    var banner = document.getElementById("offline-banner");
    if (!banner) return;
    var c = store.counts(rows);
    banner.textContent = "";
    var onQueuePage = !!document.getElementById("offline-queue");
    if (fromCopy && copyAt && !onQueuePage) {
      var at = new Date(copyAt);
      banner.appendChild(bannerLine("offline", "Offline: last updated " + hhmm(at) + " (" + ago(at) +
        "). This is the copy saved on this device; it may be out of date."));
    }
    if (removedNotice) {
      banner.appendChild(bannerLine("refused", plural(removedNotice, "entry", "entries") +
        " left unsent by the previous user of this device " + (removedNotice === 1 ? "was" : "were") + " removed."));
    }
    if (c.waiting) {
      banner.appendChild(bannerLine("waiting", waitingText(c.waiting, loginNeeded),
        onQueuePage ? null : queueUrl, "See what is waiting"));
    }
    if (c.refused) {
      banner.appendChild(bannerLine("refused", plural(c.refused, "entry was", "entries were") +
        " not accepted by the server.", onQueuePage ? null : queueUrl, "See why"));
    }
    rows.filter(function (r) { return r.status === "sent"; }).forEach(function (r) {
      var line = bannerLine("sent", "Sent: " + r.label + ". " + r.message, r.resultUrl, "Open");
      line.appendChild(document.createTextNode(" "));
      var b = el("button", { type: "button", "class": "link-button", "data-dismiss": r.key }, "Dismiss");
      line.appendChild(b);
      banner.appendChild(line);
    });
    banner.hidden = !banner.childNodes.length;
    banner.setAttribute("role", c.refused ? "alert" : "status");
  }

  function statusWords(r) {
    if (r.status === "waiting") return "Saved on this device, not yet sent";
    if (r.status === "refused") return "Not accepted by the server";
    return "Received by the server";
  }

  function renderQueue(rows) {
    var box = document.getElementById("offline-queue");
    if (!box) return;
    box.textContent = "";
    if (!rows.length) {
      box.appendChild(el("p", { "class": "card" }, "Nothing is waiting on this device."));
      return;
    }
    var list = el("ol", { "class": "queue-list" });
    rows.forEach(function (r) {
      var li = el("li", { "class": "card queue-entry queue-" + r.status, "data-key": r.key });
      var h = el("h2", { "class": "queue-title" });
      h.appendChild(icon(r.status));
      h.appendChild(el("span", {}, r.label));
      li.appendChild(h);
      li.appendChild(el("p", { "class": "queue-status" }, statusWords(r) + "."));
      if (r.savedAt) li.appendChild(el("p", { "class": "muted" }, "Save pressed at " + hhmm(new Date(r.savedAt)) + " (" + ago(new Date(r.savedAt)) + ") on this device."));
      if (r.status === "refused") li.appendChild(el("p", { "class": "queue-reason" }, "Reason: " + r.reason));
      if (r.status === "sent") {
        var p = el("p", {}, r.message + " ");
        if (r.resultUrl) p.appendChild(el("a", { href: r.resultUrl }, "Open"));
        li.appendChild(p);
      }
      if (r.status !== "waiting") {
        li.appendChild(el("button", { type: "button", "class": "button", "data-dismiss": r.key },
          r.status === "refused" ? "I have read this: remove it" : "Dismiss"));
      }
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function render() {
    return Promise.all([store.getMeta("user"), store.getMeta("loginNeeded")]).then(function (m) {
      var owner = user || m[0];
      return store.entriesFor(owner).then(function (rows) {
        if (!user) {
          // Logged out: only say that something waits, never what.
          rows = rows.filter(function (r) { return r.status === "waiting"; });
          renderAnonymous(rows.length);
          return;
        }
        lastWaiting = store.counts(rows).waiting;
        renderIndicator(store.counts(rows));
        renderBanner(rows, !!m[1]);
        renderQueue(rows);
      });
    }).catch(function () { /* storage unavailable (private mode): nothing to show */ });
  }

  function renderAnonymous(n) {
    var banner = document.getElementById("offline-banner");
    if (!banner || !n) return;
    banner.textContent = "";
    banner.appendChild(bannerLine("waiting", plural(n, "entry is", "entries are") +
      " saved on this device and not yet sent. Log in as the same person to send " + (n === 1 ? "it" : "them") + "."));
    banner.hidden = false;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-dismiss]") : null;
    if (!target) return;
    store.deleteEntry(target.getAttribute("data-dismiss")).then(render);
  });

  // --- The service worker ---------------------------------------------------------------
  function worker() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return null;
    return navigator.serviceWorker.controller;
  }

  function ask(message) {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (reg) {
      var w = reg.active || worker();
      if (w) w.postMessage(message);
    });
  }

  function flush() {
    if (!user || !navigator.onLine) return;
    store.entriesFor(user).then(function (rows) {
      if (rows.some(function (r) { return r.status === "waiting"; })) ask({ type: "flush" });
    });
  }

  function boardPages() {
    var urls = [];
    var rows = document.querySelectorAll("[data-offline-pages]");
    Array.prototype.forEach.call(rows, function (row) {
      row.getAttribute("data-offline-pages").split(/\s+/).forEach(function (u) { if (u) urls.push(u); });
    });
    return urls;
  }

  function assets() {
    var urls = [];
    Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet][href], script[src]"), function (n) {
      urls.push(n.getAttribute("href") || n.getAttribute("src"));
    });
    return urls;
  }

  function freshKeys() {
    // A saved copy of a form carries the key it was drawn with; every entry needs its own.
    if (!window.crypto || !crypto.randomUUID) return;
    Array.prototype.forEach.call(document.querySelectorAll("input[name=idempotency_key]"), function (input) {
      input.value = crypto.randomUUID();
    });
  }

  // Logging out deletes the queue with everything else (Clear-Site-Data): say so first.
  // The count is the one last drawn, so the check is synchronous and a plain logout is
  // not delayed.
  function guardLogout() {
    Array.prototype.forEach.call(document.querySelectorAll("form[action$='/accounts/logout/']"), function (form) {
      form.addEventListener("submit", function (event) {
        var n = lastWaiting;
        if (n && !window.confirm(plural(n, "entry is", "entries are") + " saved on this device and not yet sent. " +
          "Logging out deletes " + (n === 1 ? "it" : "them") + ". Log out anyway?")) event.preventDefault();
      });
    });
  }

  // The idle logout (session.js) deletes the saved pages before it leaves the page; the
  // queue stays for the same person's next login.
  window.CNTOfflinePage = {
    clearPages: function () { return store.clearPages(""); }
  };

  function start() {
    var maxAge = parseInt(body.getAttribute("data-offline-max-age"), 10);
    if (maxAge > 0) store.deleteEndedOlderThan(maxAge * 1000).catch(function () { return 0; });
    if (fromCopy) freshKeys();
    if (!user) {
      // Nobody is logged in: no saved page may be shown to whoever uses the device next.
      if (!fromCopy) store.clearPages("").catch(function () { return null; });
      return render();
    }
    guardLogout();
    var ready = fromCopy ? Promise.resolve({ changed: false, removed: 0 }) : store.switchUser(user);
    return ready.then(function (change) {
      removedNotice = change.removed;
      if (navigator.serviceWorker && swUrl && !fromCopy) {
        navigator.serviceWorker.register(swUrl, { scope: "/" }).then(function () {
          ask({ type: "cache-assets", urls: assets() });
          ask({ type: "precache", urls: [queueUrl] });
          // The patients' pages, once the board has stayed open a moment (0: never).
          var delay = parseInt(body.getAttribute("data-offline-precache-delay"), 10) || 0;
          var pages = boardPages();
          if (delay > 0 && pages.length) {
            setTimeout(function () { ask({ type: "precache", urls: pages }); }, delay * 1000);
          }
          flush();
        }).catch(function () { /* no service worker (not a secure context): forms post as before */ });
      }
      return render();
    }).catch(function () { return render(); });
  }

  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "queue-changed") render();
    });
  }
  window.addEventListener("online", function () { render(); flush(); });
  window.addEventListener("offline", render);
  window.addEventListener("pageshow", function (event) { if (event.persisted) render(); });
  setInterval(function () { flush(); if (fromCopy) render(); }, RETRY_MS);
  start();
})();

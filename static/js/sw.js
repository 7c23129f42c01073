// Service worker of the bedside app shell (issue 14). Served at /sw.js after its settings
// (self.CNT_SW) and offline-store.js (self.CNTOffline). It:
// - keeps the app's CSS and scripts (cache first) and, per user, the pages a nurse needs as
//   last loaded (network first; the saved copy is shown only when the network fails, with
//   the time it was saved, and never after CNT_SW.pageMaxAgeSeconds);
// - keeps a CIWA-B or dose form post that cannot reach the server in the queue and answers
//   with the queue page ("Saved on this device, not yet sent"), never with a confirmation;
// - sends the queue in order when asked (online event, periodic retry, Background Sync).
/* global CNTOffline */
(function () {
  "use strict";
  var C = self.CNT_SW;
  var STATIC_CACHE = "cnt-static";
  var SAVED_AT = "X-Cnt-Saved-At";
  var PRECACHE_FRESH_MS = 5 * 60 * 1000;
  var offlinePages = C.offlinePages.map(function (p) { return new RegExp(p); });
  var queuedPosts = C.queuedPosts.map(function (p) { return new RegExp(p); });

  function matches(list, path) {
    return list.some(function (re) { return re.test(path); });
  }

  function notify(message) {
    return self.clients.matchAll({ includeUncontrolled: true, type: "window" }).then(function (list) {
      list.forEach(function (c) { c.postMessage(message || { type: "queue-changed" }); });
    });
  }

  self.addEventListener("install", function (event) {
    // An asset that fails to load now is kept the next time a page loads it; it must not
    // stop the worker from installing.
    event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
      return Promise.all(C.assets.map(function (u) { return cache.add(u).catch(function () { return null; }); }));
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(self.clients.claim().then(purgeExpired));
  });

  // --- Saved pages ----------------------------------------------------------------------
  function currentUser() {
    return CNTOffline.getMeta("user");
  }

  function savePage(user, request, response) {
    // Saved with the time and a mark on <body> the page script reads to show the banner.
    return response.text().then(function (html) {
      var now = new Date().toISOString();
      var marked = html.replace("<body", '<body data-offline-copy="' + now + '"');
      // The page keeps its own headers (Content-Security-Policy, frame and referrer rules).
      var headers = new Headers();
      response.headers.forEach(function (value, name) {
        if (name !== "content-length" && name !== "content-encoding") headers.set(name, value);
      });
      headers.set(SAVED_AT, now);
      return caches.open(CNTOffline.pagesCacheName(user)).then(function (cache) {
        return cache.put(request.url, new Response(marked, { status: 200, headers: headers }));
      });
    });
  }

  function isFresh(response, maxMs) {
    var at = Date.parse(response.headers.get(SAVED_AT) || "");
    return !isNaN(at) && Date.now() - at < maxMs;
  }

  function savedPage(user, url) {
    if (!user) return Promise.resolve(null);
    return caches.open(CNTOffline.pagesCacheName(user)).then(function (cache) {
      return cache.match(url).then(function (hit) {
        if (!hit) return null;
        if (isFresh(hit, C.pageMaxAgeSeconds * 1000)) return hit;
        return cache.delete(url).then(function () { return null; });
      });
    });
  }

  function purgeExpired() {
    var maxMs = C.pageMaxAgeSeconds * 1000;
    return CNTOffline.deleteEndedOlderThan(maxMs).catch(function () { return 0; }).then(function () {
      return caches.keys();
    }).then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("cnt-pages-") === 0; }).map(function (n) {
        return caches.open(n).then(function (cache) {
          return cache.keys().then(function (reqs) {
            return Promise.all(reqs.map(function (req) {
              return cache.match(req).then(function (hit) {
                if (!hit || !isFresh(hit, C.pageMaxAgeSeconds * 1000)) return cache.delete(req);
                return null;
              });
            }));
          });
        });
      }));
    });
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  // Shown for a page that was never saved on this device: no patient data, links to the
  // pages that were, and the queue (listed by offline.js).
  function notSavedPage(user) {
    var list = user ? caches.open(CNTOffline.pagesCacheName(user)).then(function (cache) {
      return cache.keys().then(function (reqs) {
        return Promise.all(reqs.map(function (req) {
          return cache.match(req).then(function (hit) {
            if (!hit || !isFresh(hit, C.pageMaxAgeSeconds * 1000)) return "";
            return hit.clone().text().then(function (html) {
              var m = html.match(/<title>([^<]*)<\/title>/);
              var path = new URL(req.url).pathname + new URL(req.url).search;
              return '<li><a href="' + escapeHtml(path) + '">' + (m ? m[1] : escapeHtml(path)) + "</a></li>";
            });
          });
        }));
      });
    }) : Promise.resolve([]);
    return list.then(function (items) {
      items = items.filter(Boolean);
      var css = C.assets.filter(function (a) { return /\.css$/.test(a); });
      var js = C.assets.filter(function (a) { return /\.js$/.test(a); });
      var html = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        "<title>Offline · CNT Detox</title>" +
        css.map(function (h) { return '<link rel="stylesheet" href="' + h + '">'; }).join("") +
        "</head><body data-offline-user=\"" + escapeHtml(user || "") + "\" data-offline-copy=\"\" data-offline-not-saved=\"1\" data-offline-queue-url=\"" + C.queueUrl + "\">" +
        '<header class="topbar"><span class="brand">CNT Detox</span></header>' +
        '<main id="main" tabindex="-1"><div id="offline-banner" class="offline-banner" role="status" aria-live="polite" hidden></div>' +
        "<h1>You are offline</h1><p>This page was not saved on this device, so it cannot be shown without a connection. " +
        "It will open again when the connection returns.</p>" +
        (items.length ? "<h2>Pages saved on this device</h2><ul>" + items.join("") + "</ul>" : "<p>No pages are saved on this device.</p>") +
        '<h2>Entries saved on this device</h2><div id="offline-queue" class="offline-queue" aria-live="polite"></div>' +
        "</main>" + js.map(function (s) { return '<script src="' + s + '" defer></script>'; }).join("") +
        "</body></html>";
      return new Response(html, { status: 200, headers: {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin"
      } });
    });
  }

  function pageNetworkFirst(request) {
    var url = new URL(request.url);
    var keep = matches(offlinePages, url.pathname);
    return fetch(request).then(function (response) {
      if (keep && response.ok && response.type === "basic" && !response.redirected) {
        var copy = response.clone();
        currentUser().then(function (user) {
          if (user) return savePage(user, request, copy);
          return null;
        }).catch(function () { /* a full disk must not break the page */ });
      }
      return response;
    }, function () {
      return currentUser().then(function (user) {
        return (keep ? savedPage(user, request.url) : Promise.resolve(null)).then(function (hit) {
          return hit || notSavedPage(user);
        });
      });
    });
  }

  function precache(urls) {
    return currentUser().then(function (user) {
      if (!user) return null;
      var i = 0;
      function next() {
        if (i >= urls.length) return null;
        var url = new URL(urls[i++], self.location.origin).href;
        return caches.open(CNTOffline.pagesCacheName(user)).then(function (cache) {
          return cache.match(url);
        }).then(function (hit) {
          if (hit && isFresh(hit, PRECACHE_FRESH_MS)) return null;
          // A background fetch: it must not keep an idle session alive.
          return fetch(url, {
            credentials: "same-origin", cache: "no-store", redirect: "manual",
            headers: { "X-Background-Poll": "1", "X-Offline-Precache": "1" }
          }).then(function (response) {
            if (response.ok && response.type === "basic") return savePage(user, new Request(url), response);
            return null;
          });
        }).catch(function () { return null; }).then(next);
      }
      return next();
    });
  }

  // Network first here too: in development the file names do not change with their content.
  function staticNetworkFirst(request) {
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    }, function () {
      return caches.open(STATIC_CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true });
      }).then(function (hit) { return hit || Response.error(); });
    });
  }

  // --- The queue ------------------------------------------------------------------------
  function uuid() {
    if (self.crypto && self.crypto.randomUUID) return self.crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (self.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  function queuePost(request, bodyText) {
    var pressed = new Date().toISOString(); // the bedside time: Save was pressed just now
    var params = new URLSearchParams(bodyText);
    params.delete("csrfmiddlewaretoken"); // a fresh token is fetched when it is sent
    if (!params.get("recorded_offline_at")) params.set("recorded_offline_at", pressed);
    var key = params.get("idempotency_key");
    if (!key) { key = uuid(); params.set("idempotency_key", key); }
    var path = new URL(request.url).pathname;
    var kind = /\/tapering\//.test(path) ? "dose" : "ciwa";
    var outcome = params.get("outcome");
    var label = params.get("offline_label") || (kind === "dose" ? "Dose" : "CIWA-B");
    if (kind === "dose" && outcome) label += ": " + outcome;
    return currentUser().then(function (user) {
      return CNTOffline.addEntry({
        key: key, user: user, kind: kind, url: path, body: params.toString(), label: label,
        savedAt: params.get("recorded_offline_at"), seq: Date.now(), status: "waiting",
        reason: "", message: "", resultUrl: ""
      });
    }).then(function () {
      if (self.registration.sync) {
        return self.registration.sync.register("cnt-send-queue").catch(function () { return null; });
      }
      return null;
    }).then(function () {
      notify();
      return Response.redirect(C.queueUrl, 303);
    });
  }

  function postOrQueue(event) {
    var request = event.request;
    return request.clone().text().then(function (bodyText) {
      return fetch(request).catch(function () {
        // No answer from the server: keep the entry here. If the server did store it and
        // only the answer was lost, the resend with the same key returns that one.
        return queuePost(request, bodyText);
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (request.method === "POST") {
      if (request.mode === "navigate" && matches(queuedPosts, url.pathname)) {
        event.respondWith(postOrQueue(event));
      }
      return;
    }
    if (request.method !== "GET") return;
    if (url.pathname.indexOf(C.staticPrefix) === 0) {
      event.respondWith(staticNetworkFirst(request));
    } else if (request.mode === "navigate") {
      event.respondWith(pageNetworkFirst(request));
    }
  });

  function sendQueue() {
    return CNTOffline.flush(C).then(function (result) {
      return notify({ type: "queue-changed", result: result }).then(function () { return result; });
    });
  }

  self.addEventListener("sync", function (event) {
    if (event.tag !== "cnt-send-queue") return;
    event.waitUntil(sendQueue().then(function (result) {
      // Rejecting asks the browser to retry the sync later.
      if (result.left > 0 && result.reason === "offline") throw new Error("still offline");
    }));
  });

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "flush") {
      event.waitUntil(sendQueue());
    } else if (data.type === "precache") {
      event.waitUntil(precache(data.urls || []).then(purgeExpired));
    } else if (data.type === "cache-assets") {
      event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
        return Promise.all((data.urls || []).map(function (u) {
          return cache.match(u).then(function (hit) { return hit || cache.add(u).catch(function () { return null; }); });
        }));
      }));
    }
  });
})();

// What the bedside app keeps on the device (issue 14), shared by the pages and the service
// worker (sw.js is served with this file in front of it). Plain IndexedDB and Cache Storage,
// no library.
//
// Stores:
// - IndexedDB "cnt-offline", store "entries": one row per entry that Save could not send,
//   keyed by its idempotency key: {key, user, kind, url, body, label, savedAt, seq, status
//   ("waiting" | "refused" | "sent"), reason, message, resultUrl}. "user" is the device's name
//   for the user (an HMAC, not the user id); another user never sees these rows.
// - IndexedDB store "meta": {name: "user"} (who used the device last), {name: "loginNeeded"}.
// - Cache Storage "cnt-pages-<user>": the pages a nurse needs, as last loaded, each with the
//   time it was saved; "cnt-static": the app's CSS and scripts (no patient data).
(function (root) {
  "use strict";
  var DB_NAME = "cnt-offline";
  var PAGES_PREFIX = "cnt-pages-";
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("entries")) db.createObjectStore("entries", { keyPath: "key" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "name" });
      };
      req.onsuccess = function () {
        var db = req.result;
        // Another tab or Clear-Site-Data wants the database gone: let it go.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = function () { dbPromise = null; reject(req.error); };
      req.onblocked = function () { dbPromise = null; reject(new Error("IndexedDB blocked")); };
    });
    return dbPromise;
  }

  function tx(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(storeName, mode);
        var store = t.objectStore(storeName);
        var result;
        Promise.resolve(work(store, function (value) { result = value; })).catch(reject);
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function getMeta(name) {
    return tx("meta", "readonly", function (store, done) {
      return request(store.get(name)).then(function (row) { done(row ? row.value : null); });
    });
  }

  function setMeta(name, value) {
    return tx("meta", "readwrite", function (store) { store.put({ name: name, value: value }); });
  }

  function allEntries() {
    return tx("entries", "readonly", function (store, done) {
      return request(store.getAll()).then(function (rows) {
        rows.sort(function (a, b) { return a.seq - b.seq; });
        done(rows);
      });
    });
  }

  function entriesFor(user) {
    return allEntries().then(function (rows) {
      return rows.filter(function (r) { return user && r.user === user; });
    });
  }

  function getEntry(key) {
    return tx("entries", "readonly", function (store, done) {
      return request(store.get(key)).then(done);
    });
  }

  function putEntry(entry) {
    return tx("entries", "readwrite", function (store) { store.put(entry); });
  }

  // Adds an entry unless one with its key is already kept (a double tap): the first stays.
  function addEntry(entry) {
    return tx("entries", "readwrite", function (store, done) {
      return request(store.get(entry.key)).then(function (existing) {
        if (existing) { done(false); return; }
        store.put(entry);
        done(true);
      });
    });
  }

  function deleteEntry(key) {
    return tx("entries", "readwrite", function (store) { store.delete(key); });
  }

  // Deletes every entry not made by ``user`` (all of them when user is empty).
  function deleteOtherUsers(user) {
    return tx("entries", "readwrite", function (store, done) {
      return request(store.getAll()).then(function (rows) {
        var removed = 0;
        rows.forEach(function (r) {
          if (!user || r.user !== user) { store.delete(r.key); removed += 1; }
        });
        done(removed);
      });
    });
  }

  // Entries that ended (received, or not accepted) are not kept past the pages' limit.
  function deleteEndedOlderThan(maxMs) {
    return tx("entries", "readwrite", function (store, done) {
      return request(store.getAll()).then(function (rows) {
        var removed = 0;
        rows.forEach(function (r) {
          var at = Date.parse(r.savedAt || "");
          if (r.status !== "waiting" && (isNaN(at) || Date.now() - at > maxMs)) {
            store.delete(r.key);
            removed += 1;
          }
        });
        done(removed);
      });
    });
  }

  function pagesCacheName(user) { return PAGES_PREFIX + user; }

  // Deletes the saved pages of every user but ``keepUser`` (of all users when empty).
  function clearPages(keepUser) {
    if (!root.caches) return Promise.resolve();
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) {
        return n.indexOf(PAGES_PREFIX) === 0 && (!keepUser || n !== pagesCacheName(keepUser));
      }).map(function (n) { return caches.delete(n); }));
    });
  }

  // A different person on this device: nothing of the previous user stays visible.
  function switchUser(user) {
    return getMeta("user").then(function (previous) {
      if (previous === user) return { changed: false, removed: 0 };
      return Promise.all([deleteOtherUsers(user), clearPages(user)]).then(function (done) {
        return setMeta("user", user).then(function () {
          return setMeta("loginNeeded", false);
        }).then(function () {
          return { changed: previous !== null, removed: done[0] };
        });
      });
    });
  }

  function counts(rows) {
    var c = { waiting: 0, refused: 0, sent: 0 };
    rows.forEach(function (r) { if (c[r.status] !== undefined) c[r.status] += 1; });
    return c;
  }

  // --- Sending (runs in the service worker) -------------------------------------------------
  var flushing = null;
  var SEND_TIMEOUT_MS = 15000;

  // A request that hangs (a captive portal, a half-open connection) must not hold the queue:
  // after SEND_TIMEOUT_MS it counts as "no answer" and the entry is sent again later (its key
  // makes that harmless).
  function timedFetch(url, options) {
    if (typeof AbortController === "undefined") return fetch(url, options);
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS);
    options.signal = controller.signal;
    return fetch(url, options).then(function (r) { clearTimeout(timer); return r; },
      function (e) { clearTimeout(timer); throw e; });
  }

  function refusalFor(status) {
    if (status === 404) return "The server did not find this patient or dose for you (moved to another unit, or no longer open to you). Record it again from the patient's page if it is still needed.";
    if (status === 403) return "Your account may not record this. Log in as a nurse or physician and record it again.";
    return "The server did not accept this entry (HTTP " + status + "). Record it again from the patient's page.";
  }

  // Sends the waiting entries of the logged-in user in the order they were saved. Resolves
  // {sent, refused, left, reason}; stops at the first entry that cannot reach the server,
  // so the order is kept. Concurrent calls share one run.
  function flush(config) {
    if (flushing) return flushing;
    flushing = doFlush(config).then(function (r) { flushing = null; return r; },
      function (e) { flushing = null; throw e; });
    return flushing;
  }

  function doFlush(config) {
    var out = { sent: 0, refused: 0, left: 0, reason: "" };
    return getMeta("user").then(function (user) {
      return entriesFor(user).then(function (rows) {
        var waiting = rows.filter(function (r) { return r.status === "waiting"; });
        out.left = waiting.length;
        if (!waiting.length) return out;
        return timedFetch(config.stateUrl, {
          credentials: "same-origin", cache: "no-store", redirect: "manual",
          headers: { "X-Background-Poll": "1", "Accept": "application/json" }
        }).then(function (r) {
          if (r.status === 401 || r.type === "opaqueredirect" || r.status === 302) {
            out.reason = "login";
            return setMeta("loginNeeded", true).then(function () { return null; });
          }
          if (!r.ok) { out.reason = "server"; return null; }
          return r.json();
        }, function () { out.reason = "offline"; return null; }).then(function (state) {
          if (!state) return out;
          if (state.user !== user) {
            // Someone else is logged in in this browser now: the entries are not theirs.
            out.reason = "other-user";
            return switchUser(state.user).then(function () { out.left = 0; return out; });
          }
          return setMeta("loginNeeded", false).then(function () {
            return sendInOrder(waiting, state, out);
          });
        });
      });
    });
  }

  function sendInOrder(waiting, state, out) {
    var i = 0;
    function next() {
      if (i >= waiting.length) return Promise.resolve(out);
      var entry = waiting[i];
      var body = new URLSearchParams(entry.body);
      body.set("csrfmiddlewaretoken", state.csrf);
      return timedFetch(entry.url, {
        method: "POST", body: body, credentials: "same-origin", redirect: "manual", cache: "no-store",
        headers: { "X-Offline-Replay": "1", "X-CSRFToken": state.csrf, "Accept": "application/json" }
      }).then(function (r) {
        if (r.type === "opaqueredirect" || r.status === 302 || r.status === 401) {
          out.reason = "login";
          return setMeta("loginNeeded", true).then(function () { return false; });
        }
        if (r.status >= 500 || r.status === 429) {
          out.reason = "server";
          return false;
        }
        return r.json().catch(function () { return null; }).then(function (data) {
          if (r.status === 201 && data && data.status === "received") {
            entry.status = "sent";
            entry.message = data.message;
            entry.resultUrl = data.url;
            entry.receivedAt = data.received_at;
            entry.body = null; // the server has it now; keep no clinical content
            out.sent += 1;
          } else {
            entry.status = "refused";
            entry.reason = (data && data.reason) || refusalFor(r.status);
            out.refused += 1;
          }
          out.left -= 1;
          return putEntry(entry).then(function () { return true; });
        });
      }, function () {
        // No answer from the server (offline, or the connection dropped): try again later.
        // The key makes a resend of an entry the server did store return that one.
        out.reason = "offline";
        return false;
      }).then(function (goOn) {
        if (!goOn) return out;
        i += 1;
        return next();
      });
    }
    return next();
  }

  root.CNTOffline = {
    open: open,
    getMeta: getMeta,
    setMeta: setMeta,
    allEntries: allEntries,
    entriesFor: entriesFor,
    getEntry: getEntry,
    addEntry: addEntry,
    putEntry: putEntry,
    deleteEntry: deleteEntry,
    deleteOtherUsers: deleteOtherUsers,
    deleteEndedOlderThan: deleteEndedOlderThan,
    clearPages: clearPages,
    pagesCacheName: pagesCacheName,
    switchUser: switchUser,
    counts: counts,
    flush: flush
  };
})(self);

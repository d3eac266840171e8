// Live updates for pages that change while they are open (the citizen's case page here; the
// office pages through static/backoffice/live.js, which uses the same engine).
//
// The page's live-status line carries the WebSocket path and the snapshot URL. The socket only
// says "case N is now at version V"; when that is news (or after a reconnect) the script fetches
// the snapshot, the server-rendered fragments of the page, and swaps them in place. A fragment is
// an element with data-live-fragment; one whose data-live-key did not change is left alone (so a
// form being filled in is not replaced). Without WebSocket or fetch support nothing happens: the
// page stays as it was served and a reload shows the news.
(function () {
  "use strict";
  if (!("WebSocket" in window) || !window.fetch || !("content" in document.createElement("template"))) { return; }

  // Reconnect backoff (ms), read by bench/live_fanout.py: after a server restart thousands of pages
  // come back spread over a few seconds instead of all at once, and a long outage costs one try
  // per page every 15-30 s.
  var RETRY_BASE = 500;
  var RETRY_MAX = 30000;
  var FORBIDDEN = 4003;  // notifications.consumers.CLOSE_FORBIDDEN: access ended, do not come back

  function swapFragments(html, hooks) {
    var changed = false;
    Object.keys(html || {}).forEach(function (name) {
      var current = document.querySelector('[data-live-fragment="' + name + '"]');
      if (!current) { return; }
      var holder = document.createElement("template");
      holder.innerHTML = String(html[name]).trim();
      var fresh = holder.content.firstElementChild;
      if (!fresh) { return; }
      var key = fresh.getAttribute("data-live-key");
      if (key !== null && key === current.getAttribute("data-live-key")) { return; }
      if (fresh.outerHTML === current.outerHTML) { return; }  // nothing new: no swap, no announcement
      var focused = document.activeElement;
      var focusedId = focused && current.contains(focused) ? focused.id : "";
      if (hooks.beforeSwap) { hooks.beforeSwap(current, fresh); }
      current.parentNode.replaceChild(fresh, current);
      if (focusedId) {
        var again = document.getElementById(focusedId);
        if (again) { again.focus(); }
      }
      changed = true;
    });
    return changed;
  }

  function updateCounts(counts) {
    Object.keys(counts || {}).forEach(function (name) {
      document.querySelectorAll('[data-live-count="' + name + '"]').forEach(function (element) {
        var text = String(counts[name]);
        if (element.textContent !== text) { element.textContent = text; }
      });
    });
  }

  // start(statusLine, hooks): hooks may give isNews(message), beforeSwap(old, fresh),
  // afterRefresh(data) -> extra words to announce, refreshOnOpen (fetch on every connection),
  // versioned (the socket's first message says where the page's subject is now, so a reconnect
  // fetches only if isNews says so: 5,000 pages back after a restart do not all fetch at once).
  function start(status, hooks) {
    hooks = hooks || {};
    var path = status.getAttribute("data-live-socket");
    var snapshot = status.getAttribute("data-live-snapshot");
    if (!path || !snapshot) { return; }
    var debounce = parseInt(status.getAttribute("data-live-debounce") || "0", 10) || 0;
    var url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
    var socket = null;
    var failures = 0;
    var connectedBefore = false;
    var stopped = false;
    var pending = null;
    var fetching = false;
    var fetchAgain = false;
    var announceTimer = null;

    function announce(extra) {
      // Clear, then write: screen readers announce the change even when the words are the same.
      var words = status.getAttribute("data-live-updated") + (extra ? " " + extra : "");
      status.textContent = "";
      window.clearTimeout(announceTimer);
      announceTimer = window.setTimeout(function () { status.textContent = words; }, 100);
    }

    function refresh() {
      if (fetching) { fetchAgain = true; return; }
      fetching = true;
      fetch(snapshot, { headers: { Accept: "application/json" }, credentials: "same-origin", redirect: "error", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          updateCounts(data.counts);
          var changed = swapFragments(data.html, hooks);
          var extra = hooks.afterRefresh ? hooks.afterRefresh(data) : "";
          if (changed || extra) { announce(extra); }
        })
        .catch(function () {
          // Signed out or the server is away: the page keeps what it shows, and says it may be old.
          offline();
        })
        .then(function () {
          fetching = false;
          if (fetchAgain) { fetchAgain = false; schedule(); }
        });
    }

    function offline() {
      var words = status.getAttribute("data-live-offline");
      if (words && status.textContent !== words) { status.textContent = words; }
    }

    function schedule() {
      // Coalesce bursts: one fetch for everything announced within the debounce window.
      if (debounce <= 0) { refresh(); return; }
      if (pending !== null) { return; }
      pending = window.setTimeout(function () { pending = null; refresh(); }, debounce);
    }

    function retry() {
      failures += 1;
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... at most 30 s, each between half and all of it.
      var delay = Math.min(RETRY_MAX, RETRY_BASE * Math.pow(2, failures - 1));
      window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    }

    function connect() {
      if (stopped) { return; }
      try {
        socket = new WebSocket(url);
      } catch (error) {
        retry();
        return;
      }
      socket.onopen = function () {
        if (status.textContent === status.getAttribute("data-live-offline")) { status.textContent = ""; }
        failures = 0;
        status.setAttribute("data-live-state", "open");
        // Changes may have happened while the socket was down: fetch the page's state again
        // (a versioned page hears the version first, and fetches only if it is new).
        if (hooks.refreshOnOpen || (connectedBefore && !hooks.versioned)) { schedule(); }
        connectedBefore = true;
      };
      socket.onmessage = function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (error) { return; }
        if (message && hooks.isNews(message)) { schedule(); }
      };
      socket.onclose = function (event) {
        status.setAttribute("data-live-state", "closed");
        socket = null;
        if (stopped) { return; }
        if (event.code === FORBIDDEN || failures > 0 || !event.wasClean) { offline(); }
        if (event.code === FORBIDDEN) { return; }
        retry();
      };
    }

    window.addEventListener("pagehide", function () {
      stopped = true;
      if (socket) { socket.close(); }
    });
    window.addEventListener("pageshow", function (event) {
      // Back from the back-forward cache: listen again and catch up.
      if (event.persisted && stopped) { stopped = false; connectedBefore = true; connect(); }
    });
    connect();
    return { refresh: refresh };
  }

  window.PortalLive = { start: start };

  // The citizen's case page: one case, one version.
  document.querySelectorAll('[data-live-mode="case"]').forEach(function (status) {
    var version = parseInt(status.getAttribute("data-live-version"), 10) || 0;
    start(status, {
      versioned: true,  // notifications.consumers.TrackConsumer says where the case is on connecting
      isNews: function (message) { return message.type === "case.changed" && message.version > version; },
      afterRefresh: function (data) {
        if (typeof data.version === "number" && data.version > version) { version = data.version; }
        return "";
      }
    });
  });
})();

// Case desk: insert a response template into the draft without losing what is typed.
// Without JavaScript the template links reload the desk with the template filled in.
(function () {
  "use strict";
  // Delegated: the live part below may put in fresh template links.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-template-text]") : null;
    if (!link) return;
    var box = document.getElementById("id_submit_response-text");
    if (!box) return;
    event.preventDefault();
    var text = link.dataset.templateText;
    var start = box.selectionStart, end = box.selectionEnd;
    if (box.value.trim() === "") {
      box.value = text;
    } else {
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  });
})();

// Case desk, live: the desk's socket (notifications.consumers.DeskConsumer, the path in the desk's
// data-live-socket: notifications.routes.desk_socket) says "case N is now at version V", as the
// citizen's page hears it. When that is news the desk fetches itself and puts in the fresh status,
// petition and timeline, and a notice at the top that names what is new in the timeline's own words
// ("Information added by the citizen", "Answer from the citizen") with a link to it. The action
// forms are left alone, so nothing typed is lost; when the case kept its state and its actions they
// take the new version, as a reload would give them, else sending one says that someone acted
// first. Without WebSocket or fetch nothing happens: a reload shows the news.
(function () {
  "use strict";
  var desk = document.querySelector(".desk[data-live-socket]");
  if (!desk || !("WebSocket" in window) || !window.fetch || !window.DOMParser) { return; }
  var path = desk.getAttribute("data-live-socket");
  var FORBIDDEN = 4003;  // notifications.consumers.CLOSE_FORBIDDEN: the case left the reader's sight
  var RETRY_BASE = 500, RETRY_MAX = 30000;  // as static/portal/live.js
  var PARTS = ["state-title", "petition-title", "timeline-title"];  // sections, by their heading
  var shown = desk.querySelector('input[name$="-version"]');
  var version = shown ? parseInt(shown.value, 10) || 0 : null;  // a reader without forms: the socket's first word
  var socket = null, failures = 0, stopped = false, fetching = false, fetchAgain = false;

  function section(root, heading) {
    return root.querySelector('section[aria-labelledby="' + heading + '"]');
  }

  function actions(root) {
    return Array.prototype.map.call(root.querySelectorAll(".desk-side details.action"), function (card) {
      return card.id;
    }).join(" ");
  }

  function state(root) {
    var panel = section(root, "state-title");
    return panel ? panel.className : "";
  }

  function notice(fresh, added) {
    var timeline = section(fresh, "timeline-title");
    var heading = timeline && timeline.querySelector("h2");
    var words = added.map(function (item) {
      var label = item.querySelector("strong");
      return label ? label.textContent.trim() : "";
    }).filter(Boolean);
    if (!words.length || !heading) { return; }
    var box = document.querySelector("[data-desk-notice]");
    if (!box) {
      box = document.createElement("div");
      box.className = "messages";
      box.setAttribute("role", "status");
      box.setAttribute("data-desk-notice", "");
      desk.parentNode.insertBefore(box, desk);
    }
    var line = document.createElement("p");
    line.className = "message message-info";
    line.appendChild(document.createTextNode(words.join(" · ") + " — "));
    var link = document.createElement("a");
    link.href = "#timeline-title";
    link.textContent = heading.textContent.trim();
    line.appendChild(link);
    box.textContent = "";
    box.appendChild(line);
  }

  function swap(fresh) {
    var before = desk.querySelectorAll("ol.timeline > li").length;
    var sameActions = actions(document) === actions(fresh) && state(document) === state(fresh);
    PARTS.forEach(function (heading) {
      var current = section(desk, heading), next = section(fresh, heading);
      if (current && next && current.outerHTML !== next.outerHTML) {
        current.parentNode.replaceChild(document.importNode(next, true), current);
      }
    });
    if (sameActions) {
      fresh.querySelectorAll('.desk-side input[name$="-version"]').forEach(function (input) {
        var mine = desk.querySelector('.desk-side input[name="' + input.name + '"]');
        if (mine) { mine.value = input.value; }
      });
    }
    var items = section(fresh, "timeline-title");
    var added = items ? Array.prototype.slice.call(items.querySelectorAll("ol.timeline > li"), before) : [];
    notice(fresh, added);
  }

  function refresh() {
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    fetch(window.location.pathname + window.location.search, {
      headers: { Accept: "text/html" }, credentials: "same-origin", redirect: "error", cache: "no-store"
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (fresh.querySelector(".desk")) { swap(fresh); }  // else signed out: a sign-in page
      })
      .catch(function () { /* signed out, or the case moved away: the desk keeps what it shows */ })
      .then(function () {
        fetching = false;
        if (fetchAgain) { fetchAgain = false; refresh(); }
      });
  }

  function retry() {
    failures += 1;
    var delay = Math.min(RETRY_MAX, RETRY_BASE * Math.pow(2, failures - 1));
    window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  function connect() {
    if (stopped) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + path);
    } catch (error) {
      retry();
      return;
    }
    socket.onopen = function () { failures = 0; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (!message || message.type !== "case.changed") { return; }
      if (typeof message.version !== "number") { return; }
      if (version === null) { version = message.version; return; }
      if (message.version <= version) { return; }
      version = message.version;
      refresh();
    };
    socket.onclose = function (event) {
      socket = null;
      if (stopped || event.code === FORBIDDEN) { return; }
      retry();
    };
  }

  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) { socket.close(); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopped) { stopped = false; connect(); }
  });
  connect();
})();

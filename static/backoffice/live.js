// Live updates for the office pages (inbox, dashboard) on the engine of static/portal/live.js.
// Any case of the unit (or subtree) changing, or an alert of the subtree (dashboard), refreshes the
// page's snapshot, gathering the changes of data-live-debounce milliseconds (250 unless the page
// says otherwise) into one fetch.
// Ticked cases in the inbox stay ticked across a refresh. The bulk form acts on cases "as they were
// when shown": a ticked case that changed (or left the list) stays in the selection at the version
// the officer saw, as a hidden field, so the results page reports it as left alone ("someone acted
// first") instead of dropping it unseen; the status line says so. Without JavaScript the pages are
// the same, refreshed by reloading.
(function () {
  "use strict";
  if (!window.PortalLive) { return; }
  document.querySelectorAll('[data-live-mode="office"]').forEach(function (status) {
    var seen = {};  // case id -> newest version announced
    var lostTicks = 0;
    window.PortalLive.start(status, {
      refreshOnOpen: true,
      isNews: function (message) {
        if (message.type === "alerts.changed") { return true; }  // the dashboard's alerts banner
        if (message.type !== "case.changed" || typeof message.version !== "number") { return false; }
        if ((seen[message.case] || 0) >= message.version) { return false; }
        seen[message.case] = message.version;
        return true;
      },
      beforeSwap: function (current, fresh) {
        var boxes = {};
        fresh.querySelectorAll("input[type=checkbox]").forEach(function (box) { boxes[box.value] = box; });
        function keep(value) {
          var kept = document.createElement("input");
          kept.type = "hidden";
          kept.name = "cases";
          kept.value = value;
          kept.setAttribute("data-kept-tick", "");
          fresh.appendChild(kept);
        }
        // Kept by an earlier refresh: they stay until the form is sent.
        current.querySelectorAll("input[data-kept-tick]").forEach(function (kept) { keep(kept.value); });
        current.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
          // The value is "case:version": the same value means the same case, unchanged.
          if (boxes[box.value]) { boxes[box.value].checked = true; return; }
          lostTicks += 1;
          keep(box.value);
        });
      },
      afterRefresh: function () {
        var words = lostTicks ? status.getAttribute("data-live-unticked") : "";
        lostTicks = 0;
        return words;
      }
    });
  });
})();

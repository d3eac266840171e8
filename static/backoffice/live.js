// Live updates for the office pages (inbox, dashboard) on the engine of static/portal/live.js.
// Any case of the unit (or subtree) changing refreshes the page's snapshot, gathering the changes of
// data-live-debounce milliseconds (250 unless the page says otherwise) into one fetch.
// Ticked cases in the inbox stay ticked across a refresh unless the case itself changed: the bulk
// form acts on cases "as they were when shown", so a changed case is unticked, and the status line
// says so. Without JavaScript the pages are the same, refreshed by reloading.
(function () {
  "use strict";
  if (!window.PortalLive) { return; }
  document.querySelectorAll('[data-live-mode="office"]').forEach(function (status) {
    var seen = {};  // case id -> newest version announced
    var lostTicks = 0;
    window.PortalLive.start(status, {
      refreshOnOpen: true,
      isNews: function (message) {
        if (message.type !== "case.changed" || typeof message.version !== "number") { return false; }
        if ((seen[message.case] || 0) >= message.version) { return false; }
        seen[message.case] = message.version;
        return true;
      },
      beforeSwap: function (current, fresh) {
        var ticked = current.querySelectorAll("input[type=checkbox]:checked");
        if (!ticked.length) { return; }
        var boxes = {};
        fresh.querySelectorAll("input[type=checkbox]").forEach(function (box) { boxes[box.value] = box; });
        ticked.forEach(function (box) {
          // The value is "case:version": the same value means the same case, unchanged.
          if (boxes[box.value]) { boxes[box.value].checked = true; } else { lostTicks += 1; }
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

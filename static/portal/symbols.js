// Proportional symbols on a map (static/portal/map.js): every element with data-symbols="ID", ID
// naming a json_script list of places {code, lat, lon, count, label, links?}. Each place is a circle
// whose area is proportional to its count, named by its label in a tooltip; a place with links opens
// a popup with them when clicked or tapped. The element is hidden without JavaScript: the page has
// the same numbers as a list or table beside it, for the keyboard and screen readers.
(function () {
  "use strict";
  if (!window.L || !window.PortalMap) { return; }
  var L = window.L;
  // The largest place's radius in pixels; the smallest stays big enough to tap.
  var MAX_RADIUS = 26;
  var MIN_RADIUS = 6;

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) { node.className = className; }
    return node;
  }

  function popupContent(place) {
    var box = document.createElement("div");
    box.className = "symbol-popup";
    box.appendChild(text("p", place.label, "symbol-popup-label"));
    var list = document.createElement("ul");
    place.links.forEach(function (link) {
      var item = document.createElement("li");
      var anchor = text("a", link.text);
      anchor.href = link.href;
      item.appendChild(anchor);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-symbols]"), function (element) {
    var source = document.getElementById(element.getAttribute("data-symbols"));
    var places;
    try { places = JSON.parse(source ? source.textContent : "[]"); } catch (error) { return; }
    if (!places || !places.length) { return; }
    element.hidden = false;  // before Leaflet measures it
    var map = window.PortalMap.create(element);
    if (!map) { return; }
    var peak = Math.max.apply(null, places.map(function (place) { return place.count; })) || 1;
    var closeLabel = element.getAttribute("data-close");
    var points = [];
    // The biggest first, so that a small place drawn over a big one stays clickable.
    places.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (place) {
      var symbol = L.circleMarker([place.lat, place.lon], {
        radius: Math.max(MIN_RADIUS, MAX_RADIUS * Math.sqrt(place.count / peak)),
        color: "#0b4f8a",
        weight: 2,
        fillColor: "#2a7fc9",
        fillOpacity: 0.5,
        className: "place-symbol"
      }).addTo(map);
      symbol.getElement().setAttribute("data-code", place.code);
      symbol.bindTooltip(text("span", place.label), { direction: "top", offset: [0, -4] });
      if (place.links && place.links.length) {
        symbol.bindPopup(popupContent(place));
        symbol.on("popupopen", function (event) {
          symbol.closeTooltip();  // the popup says the same, and more
          var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
          if (close && closeLabel) { close.setAttribute("aria-label", closeLabel); close.title = closeLabel; }
        });
      }
      points.push([place.lat, place.lon]);
    });
    var maxZoom = parseInt(element.getAttribute("data-max-zoom"), 10) || 12;
    map.fitBounds(points, { padding: [MAX_RADIUS + 4, MAX_RADIUS + 4], maxZoom: maxZoom });
  });
})();

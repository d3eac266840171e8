// A small wrapper over Leaflet (vendor/leaflet, pinned from npm) for the portal's maps.
// Settings come from the map element's data attributes: data-tiles and data-attribution (empty:
// no tiles, nothing fetched; the points are still drawn), data-marker-icon, data-marker-icon-2x,
// data-marker-shadow and data-marker-alt. Pages work without it: every map has its numbers beside it.
(function () {
  "use strict";
  // Viet Nam, islands included, for a map that has no point yet.
  var VIET_NAM = [[8.2, 102.1], [23.4, 109.5]];

  function markerIcon(element) {
    return window.L.icon({
      iconUrl: element.getAttribute("data-marker-icon"),
      iconRetinaUrl: element.getAttribute("data-marker-icon-2x"),
      shadowUrl: element.getAttribute("data-marker-shadow"),
      iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41]
    });
  }

  function create(element) {
    if (!window.L || !element) { return null; }
    var L = window.L;
    var map = L.map(element, {
      zoomControl: true,
      attributionControl: true,
      // Leaflet's own zoom buttons, named in the page's language.
      zoomInTitle: element.getAttribute("data-zoom-in") || "+",
      zoomOutTitle: element.getAttribute("data-zoom-out") || "-"
    });
    map.attributionControl.setPrefix(false);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      element.classList.add("map-no-tiles");
    }
    map.fitBounds(VIET_NAM);
    return map;
  }

  // A map to pick one point: a tap (or click) puts the marker there, the marker can be dragged,
  // and typing in the number boxes moves it. ``onPick(lat, lon)`` follows every pick on the map.
  function pointPicker(element, latInput, lonInput, onPick) {
    var map = create(element);
    if (!map) { return null; }
    var L = window.L;
    var marker = null;
    var icon = markerIcon(element);
    var alt = element.getAttribute("data-marker-alt") || "";

    function place(lat, lon, zoomTo) {
      var at = L.latLng(lat, lon);
      if (!marker) {
        marker = L.marker(at, { draggable: true, icon: icon, alt: alt, keyboard: false }).addTo(map);
        marker.on("dragend", function () {
          var end = marker.getLatLng();
          pick(end.lat, end.lng);
        });
      } else {
        marker.setLatLng(at);
      }
      if (zoomTo) { map.setView(at, Math.max(map.getZoom(), zoomTo)); }
    }

    function pick(lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      place(lat, lon, 0);
      if (onPick) { onPick(lat, lon); }
    }

    function fromInputs(zoomTo) {
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        place(lat, lon, zoomTo);
        return true;
      }
      return false;
    }

    map.on("click", function (event) { pick(event.latlng.lat, event.latlng.lng); });
    // Typed coordinates move the marker and, like a tap, say which commune the point is in.
    var typed = function () {
      if (fromInputs(14) && onPick) { onPick(parseFloat(latInput.value), parseFloat(lonInput.value)); }
    };
    latInput.addEventListener("change", typed);
    lonInput.addEventListener("change", typed);
    fromInputs(15);

    return {
      map: map,
      // A point from elsewhere (the device's location): marker and boxes, then the same as a tap.
      pick: function (lat, lon) { pick(lat, lon); map.setView([lat, lon], Math.max(map.getZoom(), 15)); },
      hasPoint: function () { return marker !== null; },
      // Show a place (the chosen province or commune) unless a point was already picked.
      show: function (lat, lon, zoom) { if (!marker) { map.setView([lat, lon], zoom); } }
    };
  }

  window.PortalMap = { create: create, pointPicker: pointPicker, markerIcon: markerIcon };
})();

// A petition's point, shown (not picked): every element with data-point-view="lat,lon".
(function () {
  "use strict";
  if (!window.L || !window.PortalMap) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-point-view]"), function (element) {
    var parts = (element.getAttribute("data-point-view") || "").split(",").map(parseFloat);
    if (parts.length !== 2 || !isFinite(parts[0]) || !isFinite(parts[1])) { return; }
    element.hidden = false;  // hidden without JavaScript: the coordinates above stand alone
    var map = window.PortalMap.create(element);
    if (!map) { return; }
    window.L.marker(parts, {
      icon: window.PortalMap.markerIcon(element),
      alt: element.getAttribute("data-marker-alt") || "",
      keyboard: false
    }).addTo(map);
    map.setView(parts, 16);
    nearby(map, element, parts);
  });

  // The case desk's open cases nearby (data-nearby names a json_script of {lat, lon, code, title,
  // url}; data-radius the circle in metres). The table beside the map is their keyboard alternative.
  function nearby(map, element, centre) {
    var source = document.getElementById(element.getAttribute("data-nearby") || "");
    if (!source) { return; }
    var L = window.L;
    var radius = parseFloat(element.getAttribute("data-radius"));
    var bounds = L.latLngBounds([centre, centre]);
    if (isFinite(radius) && radius > 0) {
      var circle = L.circle(centre, { radius: radius, weight: 1, fill: false, interactive: false }).addTo(map);
      bounds.extend(circle.getBounds());
    }
    JSON.parse(source.textContent || "[]").forEach(function (point) {
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.code + " " + point.title;
      L.circleMarker([point.lat, point.lon], { radius: 7, weight: 2, color: "#b45309", fillOpacity: 0.6, keyboard: false })
        .bindPopup(link)
        .addTo(map);
      bounds.extend([point.lat, point.lon]);
    });
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  }
})();

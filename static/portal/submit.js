// Progressive enhancement of the petition form; the form works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.querySelector(".petition-form");
  if (!form) { return; }

  // Province -> commune: fetch the communes instead of reloading the page.
  var province = form.querySelector("[name=province]");
  var commune = form.querySelector("[name=commune]");
  var template = form.getAttribute("data-communes-url");

  // A filter box over a long commune list (Hà Nội has 126): typing narrows the options, by the
  // name with or without accents: a word typed without accents matches any ("dong" finds Đống Đa
  // and Hà Đông), a word typed with them matches those accents ("Đống" finds only Đống Đa). The
  // chosen option always stays in the list.
  var filterBox = form.querySelector("[data-commune-filter]");
  var filter = filterBox && filterBox.querySelector("input");
  var filterCount = filterBox && filterBox.querySelector("[data-filter-count]");
  var FILTER_MIN = 15;
  var allCommunes = [];
  var fold = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  };
  var showCount = function (shown) {
    if (!filterCount) { return; }
    filterCount.textContent = filter.value.trim()
      ? (filterBox.getAttribute("data-count") || "{shown} / {total}").replace("{shown}", shown).replace("{total}", allCommunes.length)
      : "";
  };
  var applyFilter = function () {
    var words = filter.value.normalize("NFC").toLowerCase().split(/\s+/).filter(Boolean).map(function (word) {
      var plain = fold(word);
      return plain === word ? { text: plain, folded: true } : { text: word, folded: false };
    });
    var chosen = commune.value;
    while (commune.options.length > 1) { commune.remove(1); }
    var shown = 0;
    allCommunes.forEach(function (item) {
      var matches = words.every(function (word) {
        return (word.folded ? item.key : item.exact).indexOf(word.text) !== -1;
      });
      if (!matches && item.value !== chosen) { return; }
      var option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.text;
      commune.appendChild(option);
      if (matches) { shown += 1; }
    });
    commune.value = chosen;
    showCount(shown);
  };
  // Called whenever the select's options were (re)loaded: remember them and reset the filter.
  var rememberCommunes = function () {
    if (!filterBox || !filter || !commune) { return; }
    allCommunes = [];
    for (var i = 1; i < commune.options.length; i += 1) {
      var option = commune.options[i];
      var name = option.textContent;
      allCommunes.push({ value: option.value, text: name, key: fold(name), exact: name.normalize("NFC").toLowerCase() });
    }
    filter.value = "";
    showCount(allCommunes.length);
    filterBox.hidden = allCommunes.length < FILTER_MIN;
  };
  if (filterBox && filter && commune) {
    filter.addEventListener("input", applyFilter);
    // Enter in the filter would send the form: go to the narrowed list instead.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); commune.focus(); }
    });
    rememberCommunes();
  }

  // The centres of the chosen province and its communes (from communes.json), for the map.
  var centres = null;
  var afterLoad = null;
  var picker = null;
  var showChosenPlace = function () {
    if (!picker || !centres) { return; }
    var point = commune && commune.value && centres.communes[commune.value];
    if (point) { picker.show(point.latitude, point.longitude, 13); }
    else if (centres.province) { picker.show(centres.province.latitude, centres.province.longitude, 9); }
  };
  var loadCommunes = null;

  if (province && commune && template) {
    loadCommunes = function (keep) {
      var code = province.value;
      commune.disabled = true;
      while (commune.options.length > 1) { commune.remove(1); }
      rememberCommunes();
      if (!code) { commune.disabled = false; return; }
      fetch(template.replace("PROVINCE", encodeURIComponent(code)), { headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (data) {
          centres = { province: data.center, communes: {} };
          data.communes.forEach(function (item) {
            centres.communes[item.code] = item.center;
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.name;
            commune.appendChild(option);
          });
          commune.options[0].textContent = commune.getAttribute("data-choose") || commune.options[0].textContent;
          if (keep) { commune.value = keep; }
          rememberCommunes();
          showChosenPlace();
          if (afterLoad) { var then = afterLoad; afterLoad = null; then(); }
        })
        .catch(function () { form.classList.remove("js"); document.documentElement.classList.remove("js"); })
        .finally(function () { commune.disabled = false; });
    };
    province.addEventListener("change", function () { loadCommunes(""); });
    commune.addEventListener("change", showChosenPlace);
    // Back to a filled form: the browser restores the province but the communes were never
    // fetched for it. Fetch them (keeping a restored choice) when the page is shown.
    var restore = function () {
      if (province.value && commune.options.length <= 1) { loadCommunes(commune.value); }
    };
    restore();
    window.addEventListener("pageshow", restore);
  }

  // Live character count for the text.
  var text = form.querySelector("[name=text]");
  var counter = document.getElementById("text-count");
  if (text && counter) {
    var max = parseInt(text.getAttribute("maxlength"), 10) || 10000;
    var label = counter.getAttribute("data-label") || "{n} / {max}";
    var update = function () {
      counter.textContent = label.replace("{n}", text.value.length).replace("{max}", max);
    };
    text.addEventListener("input", update);
    update();
    window.addEventListener("pageshow", update);  // a text the browser restored on Back
  }

  // The map point: a tap or a dragged marker on the map, the device's location or the number boxes
  // (the keyboard's way, and the only one without JavaScript). A point suggests its commune.
  var latInput = form.querySelector("[name=latitude]");
  var lonInput = form.querySelector("[name=longitude]");
  var mapElement = document.getElementById("point-map");
  var suggestion = document.getElementById("point-suggestion");
  var format = function (text, values) {
    // The page's words name their blanks {commune} and {province} (a percent sign would be taken
    // for a format of Django's template translation).
    return (text || "").replace(/\{(\w+)\}/g, function (all, key) { return values[key] || ""; });
  };
  var choose = function (found) {
    // The commune of the point: its province first (its communes are fetched), then the commune.
    var select = function () {
      commune.value = found.code;
      commune.dispatchEvent(new Event("change", { bubbles: true }));
    };
    if (province.value !== found.province_code) {
      province.value = found.province_code;
      afterLoad = select;
      loadCommunes(found.code);
    } else {
      select();
    }
  };
  var suggest = function (lat, lon) {
    if (!suggestion || !mapElement || !window.fetch) { return; }
    var url = mapElement.getAttribute("data-nearest-url") + "?lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6)
      + (province && province.value ? "&province=" + encodeURIComponent(province.value) : "");
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { commune: null }; })
      .catch(function () { return { commune: null }; })
      .then(function (data) {
        suggestion.textContent = "";
        var found = data.commune;
        var message = document.createElement("span");
        suggestion.appendChild(message);
        if (!found) { message.textContent = suggestion.getAttribute("data-none"); return; }
        var values = { commune: found.name, province: found.province_name };
        if (commune && loadCommunes && !commune.value && !data.other_province) {
          choose(found);
          message.textContent = format(suggestion.getAttribute("data-chosen"), values);
          return;
        }
        message.textContent = format(suggestion.getAttribute(data.other_province ? "data-other" : "data-found"), values);
        if (commune && loadCommunes && commune.value !== found.code) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button button-secondary";
          button.textContent = format(suggestion.getAttribute("data-choose"), values);
          button.addEventListener("click", function () {
            choose(found);
            message.textContent = format(suggestion.getAttribute("data-chosen"), values);
            button.remove();
          });
          suggestion.appendChild(document.createTextNode(" "));
          suggestion.appendChild(button);
        }
      });
  };
  if (mapElement && latInput && lonInput && window.PortalMap) {
    var details = mapElement.closest("details");
    var start = function () {
      if (picker) { picker.map.invalidateSize(); return; }
      picker = window.PortalMap.pointPicker(mapElement, latInput, lonInput, suggest);
      if (!picker) { return; }
      if (centres) { showChosenPlace(); }
      else if (province && province.value && template && !(latInput.value && lonInput.value)) {
        // The province came with the page: its centre (and its communes') from communes.json.
        fetch(template.replace("PROVINCE", encodeURIComponent(province.value)), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data) { return; }
            centres = { province: data.center, communes: {} };
            data.communes.forEach(function (item) { centres.communes[item.code] = item.center; });
            showChosenPlace();
          })
          .catch(function () {});
      }
    };
    if (!details || details.open) { start(); }
    if (details) { details.addEventListener("toggle", function () { if (details.open) { start(); } }); }
  }

  // "Use my current location" fills the coordinates (and moves the marker).
  var locate = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      status.textContent = locate.getAttribute("data-wait") || "…";
      navigator.geolocation.getCurrentPosition(function (position) {
        var lat = position.coords.latitude;
        var lon = position.coords.longitude;
        if (picker) {
          picker.pick(lat, lon);
        } else {
          latInput.value = lat.toFixed(6);
          lonInput.value = lon.toFixed(6);
          suggest(lat, lon);
        }
        status.textContent = locate.getAttribute("data-done") || "✓";
      }, function () {
        status.textContent = locate.getAttribute("data-failed") || "✗";
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
})();

// While the title is typed: answered petitions like it (published with their citizens' consent).
(function () {
  "use strict";
  var box = document.getElementById("similar-answered");
  var title = document.querySelector(".petition-form [name=title]");
  if (!box || !title || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function render(results) {
    box.textContent = "";
    if (!results.length) { return; }
    var heading = document.createElement("p");
    heading.className = "similar-heading";
    heading.textContent = box.getAttribute("data-similar-heading");
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = box.getAttribute("data-similar-hint");
    var list = document.createElement("ul");
    results.forEach(function (item) {
      var li = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = item.title;
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = " · " + item.place + " · " + item.date;
      var answer = document.createElement("p");
      answer.className = "excerpt";
      answer.textContent = item.response;
      li.appendChild(strong); li.appendChild(meta); li.appendChild(answer);
      if (item.full_response) {
        // The excerpt was cut: the whole published response unfolds in place.
        var details = document.createElement("details");
        var summary = document.createElement("summary");
        summary.textContent = box.getAttribute("data-similar-more");
        var more = document.createElement("span");
        more.className = "visually-hidden";
        more.textContent = " (" + item.title + ")";
        summary.appendChild(more);
        details.appendChild(summary);
        item.full_response.split(/\n\s*\n/).forEach(function (paragraph) {
          var p = document.createElement("p");
          p.textContent = paragraph;
          details.appendChild(p);
        });
        li.appendChild(details);
      }
      list.appendChild(li);
    });
    box.appendChild(heading); box.appendChild(hint); box.appendChild(list);
  }
  title.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var text = title.value.trim();
      if (text === last) { return; }
      last = text;
      // One word is enough ("ngập"); Vietnamese syllables can have two letters ("hố").
      if (text.length < 2) { render([]); return; }
      fetch(box.getAttribute("data-similar-url") + "?title=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { render(data.results || []); })
        .catch(function () { render([]); });
    }, 400);
  });
})();

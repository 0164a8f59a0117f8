// The search results on a map (Leaflet, served from our own static files), behind a list/map switch.
// Progressive: without this script, without Leaflet or without map tiles the page is the plain list.
// Markers are Leaflet's keyboard markers (Tab to reach, Enter to open); every marker's popup links the meeting.
(function () {
  "use strict";
  var view, canvas, note, map, layer, tilesFailed = false, tilesLoaded = false;

  function points() {
    var data = document.getElementById("registry-map-points");
    return data ? JSON.parse(data.textContent) : [];
  }

  function list() {
    return document.querySelector("#search-results .registry-result-list");
  }

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.className = "ds-link";
    link.href = point.url;
    link.textContent = point.name;
    var when = document.createElement("p");
    when.textContent = point.when + (point.approximate ? " (" + view.dataset.labelApproximate + ")" : "");
    box.append(link, when);
    return box;
  }

  function marker(point) {
    var title = point.name + (point.approximate ? " (" + view.dataset.labelApproximate + ")" : "");
    var options = { title: title, alt: title, keyboard: true };
    if (point.approximate) {
      options.icon = L.divIcon({ className: "registry-map__approximate", iconSize: [22, 22], html: "" });
    }
    return L.marker([point.latitude, point.longitude], options).bindPopup(popup(point));
  }

  function draw() {
    var found = points();
    layer.clearLayers();
    found.forEach(function (point) { layer.addLayer(marker(point)); });
    var shown = list() ? list().children.length : 0;
    note.textContent = (found.length < shown ? view.dataset.labelNoPlace + " " : "") +
      (tilesFailed && !tilesLoaded ? view.dataset.labelNoTiles : "");
    if (found.length) {
      map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 14 });
    } else {
      map.setView([64.5, 12], 4);
    }
  }

  function showList(asList) {
    view.hidden = asList;
    var items = list();
    if (items) items.hidden = !asList && !(tilesFailed && !tilesLoaded);
    document.querySelectorAll("[data-registry-view]").forEach(function (button) {
      button.setAttribute("aria-pressed", String((button.dataset.registryView === "list") === asList));
    });
    if (!asList) {
      if (!map) start();
      map.invalidateSize();
      draw();
    }
  }

  function start() {
    map = L.map(canvas, { scrollWheelZoom: false });
    layer = L.featureGroup().addTo(map);
    var tiles = L.tileLayer(view.dataset.tiles, { attribution: view.dataset.attribution, maxZoom: 18 });
    tiles.on("tileload", function () { tilesLoaded = true; });
    tiles.on("tileerror", function () {
      if (tilesFailed) return;
      tilesFailed = true;
      if (!tilesLoaded) showList(false);  // keeps the map's markers and brings the list back beside them
    });
    tiles.addTo(map);
  }

  function switcher() {
    var group = document.createElement("div");
    group.className = "registry-view-switch";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", view.dataset.labelSwitch);
    [["list", view.dataset.labelList], ["map", view.dataset.labelMap]].forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ds-button";
      button.dataset.variant = "secondary";
      button.dataset.registryView = item[0];
      button.textContent = item[1];
      button.setAttribute("aria-pressed", String(item[0] === "list"));
      button.addEventListener("click", function () { showList(item[0] === "list"); });
      group.append(button);
    });
    view.parentNode.insertBefore(group, view);
  }

  document.addEventListener("DOMContentLoaded", function () {
    view = document.getElementById("registry-map-view");
    if (!view || typeof L === "undefined") return;
    canvas = document.getElementById("registry-map-canvas");
    note = view.querySelector(".registry-map__note");
    switcher();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id !== "search-results" || view.hidden) return;
      showList(false);
    });
  });
})();

// Draws the dashboard charts with Chart.js from the JSON the page carries.
// Without JavaScript (or without Chart.js) the same numbers are in the tables.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  // Six series at most (five and "other"); each differs in colour, dash and marker.
  var palette = ["#0b5cad", "#b3261e", "#1b7f3b", "#8a5a00", "#6a3d9a", "#00686b"];
  var dashes = [[], [6, 4], [2, 3], [10, 3, 2, 3], [12, 4], [4, 2, 4, 6]];
  var points = ["circle", "rect", "triangle", "crossRot", "rectRot", "star"];
  // Bars have no border: their legend markers must be filled shapes (a cross or a star drew nothing).
  var filled = ["circle", "rect", "triangle", "rectRot", "rectRounded", "rect"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) return;
    var kind = canvas.dataset.chart;
    // "stacked": one bar per week, the topics stacked in it (never a tangle of lines).
    var stacked = kind === "stacked";
    var datasets = data.series.map(function (series, i) {
      return {
        label: series.label,
        data: series.data,
        borderColor: palette[i % palette.length],
        backgroundColor: kind === "bar" || stacked ? palette[i % palette.length] : "transparent",
        borderDash: dashes[i % dashes.length],  // colour is not the only signal
        pointStyle: (kind === "bar" || stacked ? filled : points)[i % points.length],
        pointRadius: kind === "line" ? 3 : 0,
        tension: 0.2
      };
    });
    new window.Chart(canvas, {
      type: stacked ? "bar" : kind,
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: kind === "bar" ? "y" : "x",
        animation: false,
        maintainAspectRatio: false,
        scales: kind === "bar" ? { x: { min: 0, max: 100 } }
          : stacked ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
          : { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { labels: { usePointStyle: true } } }
      }
    });
  });
})();

// The dashboard's charts (Chart.js, vendored) and their PNG downloads.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var palette = ["#c62828", "#ef6c00", "#f9a825", "#2e7d32", "#00838f", "#1565c0", "#6a1b9a", "#6d4c41"];
  Object.keys(charts).forEach(function (name) {
    var spec = charts[name];
    var canvas = document.getElementById("chart-" + name);
    if (!canvas) { return; }
    var round = spec.type === "doughnut";
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.title,
          data: spec.values,
          backgroundColor: round ? palette : palette[0],
          borderColor: palette[0],
          fill: false,
          tension: 0.2
        }]
      },
      options: {
        // No animation: the picture is final at once (PNG downloads, printing, tests).
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: round } },
        scales: round ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
  document.querySelectorAll("[data-png]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-png");
      var canvas = document.getElementById("chart-" + name);
      var link = document.createElement("a");
      link.href = canvas.toDataURL("image/png");
      link.download = (document.getElementById("dashboard").dataset.org || "chart") + "-" + name + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });
})();

// The branch entry grid's own part: the branch's distribution, shown as the secretary chooses, and
// the warning when the outstanding share would pass the round's level. The keyboard, the "not
// chosen" marks and the unsaved-changes warning are the portal's grid (portal/static/portal/grid.js);
// after an htmx save the grid region is new, so everything is read again on "grid:ready".
(function () {
  "use strict";
  var ratings = ["outstanding", "qualified", "basically_qualified", "unqualified"];

  function update() {
    var grid = document.getElementById("entry-grid");
    var configBlock = document.getElementById("grid-config");
    if (!grid || !configBlock) return;
    var config = JSON.parse(configBlock.textContent);
    var counts = {};
    var total = 0;
    ratings.forEach(function (r) { counts[r] = 0; });
    Array.prototype.forEach.call(grid.querySelectorAll("input.rating-choice:checked"), function (input) {
      if (counts[input.value] !== undefined) { counts[input.value] += 1; total += 1; }
    });
    ratings.forEach(function (r) {
      document.querySelector('[data-count="' + r + '"]').textContent = counts[r];
      document.querySelector('[data-share="' + r + '"]').textContent =
        total ? Math.round((counts[r] / total) * 1000) / 10 + "%" : "0%";
    });
    document.querySelector('[data-count="total"]').textContent = total;
    // The round's outstanding share if this branch's choices were saved: the round's saved
    // counts, minus what this branch had saved, plus what it shows now.
    var roundTotal = 0;
    var savedTotal = 0;
    ratings.forEach(function (r) { roundTotal += config.roundCounts[r]; savedTotal += config.branchSaved[r]; });
    var outstanding = config.roundCounts.outstanding - config.branchSaved.outstanding + counts.outstanding;
    var rated = roundTotal - savedTotal + total;
    var share = rated ? outstanding / rated : 0;
    var warning = document.getElementById("outstanding-warning");
    warning.querySelector("[data-round-share]").textContent = Math.round(share * 1000) / 10 + "%";
    warning.classList.toggle("d-none", !(rated && share > config.warningShare));
  }

  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#entry-grid")) update();
  });
  document.addEventListener("grid:ready", update);
  update();
})();

// The branch entry grid: keyboard entry and the branch's distribution shown as the secretary chooses.
// Keys inside the grid: 1-4 choose a rating and move to the next member; ArrowUp/ArrowDown move
// between members; ArrowLeft/ArrowRight keep the browser's own radio behaviour (change the rating).
(function () {
  "use strict";
  var grid = document.getElementById("entry-grid");
  if (!grid) return;
  var config = JSON.parse(document.getElementById("grid-config").textContent);
  var ratings = ["outstanding", "qualified", "basically_qualified", "unqualified"];
  var rows = Array.prototype.slice.call(grid.querySelectorAll("tr.entry-row"));

  function radios(row) {
    return Array.prototype.slice.call(row.querySelectorAll("input.rating-choice"));
  }

  function focusRow(index) {
    if (index < 0 || index >= rows.length) return false;
    var choices = radios(rows[index]);
    var target = choices.filter(function (r) { return r.checked; })[0] || choices[0];
    if (target) target.focus();
    return true;
  }

  function checked(row) {
    var selected = row.querySelector("input.rating-choice:checked");
    return selected ? selected.value : null;
  }

  function update() {
    var counts = {};
    var total = 0;
    ratings.forEach(function (r) { counts[r] = 0; });
    rows.forEach(function (row) {
      var value = checked(row);
      if (value) { counts[value] += 1; total += 1; }
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

  grid.addEventListener("change", update);
  grid.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("rating-choice")) return;
    var row = input.closest("tr.entry-row");
    var index = rows.indexOf(row);
    if (event.key >= "1" && event.key <= "4" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      var choice = radios(row)[Number(event.key) - 1];
      if (choice && !choice.disabled) {
        choice.checked = true;
        choice.dispatchEvent(new Event("change", { bubbles: true }));
      }
      event.preventDefault();
      if (!focusRow(index + 1)) document.getElementById("save-ratings").focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      // Up/down move between members instead of changing this member's rating.
      event.preventDefault();
      focusRow(index + (event.key === "ArrowDown" ? 1 : -1));
    }
  });
  update();
})();

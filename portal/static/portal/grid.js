// The entry grid (portal/views/grid.py, templates/generic/grid_region.html), from the keyboard.
// - As soon as the grid opens the first row has focus (or the first refused cell), so keys work
//   without a click.
// - In a choice column, 1-9 pick the row's n-th choice and move on to the next row (after the last
//   row, to Save); ArrowUp/ArrowDown move between rows in the same column; ArrowLeft/ArrowRight keep
//   the browser's own radio behaviour (change the choice). Ctrl+S (Cmd+S) saves.
// - A row with nothing chosen shows a "not chosen" mark, kept current as choices are made.
// - Leaving the page with unsaved changes asks first (the browser's beforeunload dialog).
// - An htmx save swaps the grid region; a refused save (400, 409) is swapped in too, so the
//   messages appear on their cells. Apps listen for "grid:ready" on the grid to (re)bind.
(function () {
  "use strict";
  var dirty = false;
  var submitting = false;

  function toArray(list) { return Array.prototype.slice.call(list); }
  function rowsOf(grid) { return toArray(grid.querySelectorAll("tr.grid-row")); }
  function enabled(inputs) { return inputs.filter(function (input) { return !input.disabled; }); }

  function saveButton(grid) {
    var form = grid.closest("form");
    return form ? form.querySelector("[data-grid-save]") : null;
  }

  // The input to focus in a row: in ``column`` if given, the checked radio of a radio group.
  function target(row, column) {
    var selector = column ? '.grid-input[data-column="' + column + '"]' : ".grid-input";
    var inputs = enabled(toArray(row.querySelectorAll(selector)));
    if (!inputs.length && column) inputs = enabled(toArray(row.querySelectorAll(".grid-input")));
    var checked = inputs.filter(function (input) { return input.type === "radio" && input.checked; })[0];
    return checked || inputs[0] || null;
  }

  function focusRow(grid, index, column) {
    var rows = rowsOf(grid);
    if (index < 0 || index >= rows.length) return false;
    var input = target(rows[index], column);
    if (input) input.focus();
    return Boolean(input);
  }

  function markEmpty(row) {
    var radios = toArray(row.querySelectorAll("input.grid-choice"));
    if (!radios.length) return;
    var names = {};
    radios.forEach(function (radio) { names[radio.name] = names[radio.name] || radio.checked; });
    var empty = Object.keys(names).every(function (name) { return !names[name]; });
    row.classList.toggle("grid-row-empty", empty);
    var badge = row.querySelector(".grid-empty-badge");
    if (badge) badge.classList.toggle("d-none", !empty);
  }

  function ready(region) {
    // A region swapped in after a save says how it went: saved, nothing is pending; refused, the
    // posted values shown are still unsaved.
    if (region.querySelector("[data-grid-saved]")) dirty = false;
    if (region.hasAttribute("data-grid-refused")) dirty = true;
    var grid = region.querySelector("[data-grid]");
    if (!grid) return;
    rowsOf(grid).forEach(markEmpty);
    // Keys work at once: focus the first refused cell, else the first row (unless the user is
    // already somewhere else on the page).
    var active = document.activeElement;
    if (!active || active === document.body || !document.contains(active) || region.contains(active)) {
      var refused = grid.querySelector(".grid-input.is-invalid:not([disabled])");
      if (refused) refused.focus();
      else focusRow(grid, 0);
    }
    grid.dispatchEvent(new CustomEvent("grid:ready", { bubbles: true }));
  }

  // Any change inside a grid's form (its rows and its header fields) is pending until saved.
  document.addEventListener("change", function (event) {
    if (!event.target.closest || !event.target.closest("[data-grid-form]")) return;
    dirty = true;
    var row = event.target.closest("[data-grid] tr.grid-row");
    if (row) markEmpty(row);
  });
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("[data-grid-form]")) dirty = true;
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    var grid = input.closest && input.closest("[data-grid]");
    if (!grid) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      var form = grid.closest("form");
      if (form) form.requestSubmit(saveButton(grid) || undefined);
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || !input.classList.contains("grid-input")) return;
    var row = input.closest("tr.grid-row");
    var index = rowsOf(grid).indexOf(row);
    var column = input.getAttribute("data-column");
    if (input.type === "radio" && /^[1-9]$/.test(event.key)) {
      var choice = row.querySelector('input.grid-choice[data-column="' + column + '"][data-choice="' + event.key + '"]');
      event.preventDefault();
      if (!choice || choice.disabled) return;
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
      if (!focusRow(grid, index + 1, column)) {
        var save = saveButton(grid);
        if (save) save.focus();
      }
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && input.tagName !== "TEXTAREA" && input.tagName !== "SELECT") {
      // Up and down move between rows (in a radio group they would change this row's choice).
      event.preventDefault();
      focusRow(grid, index + (event.key === "ArrowDown" ? 1 : -1), column);
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("[data-grid-form]") && !event.defaultPrevented) submitting = true;
  });

  // htmx leaves 4xx answers unswapped; a refused save is a page to show, with its cell messages.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.target && event.detail.target.matches("[data-grid-region]") && (xhr.status === 400 || xhr.status === 409)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function () { submitting = false; });
  // The swapped-in region is a new element: ready it once.
  function readyNew() {
    toArray(document.querySelectorAll("[data-grid-region]:not([data-grid-ready])")).forEach(function (region) {
      region.setAttribute("data-grid-ready", "");
      ready(region);
    });
  }
  // After the settle, not the swap: until then htmx keeps the old classes on inputs whose id
  // is in both versions, so a refused cell would not yet be marked is-invalid.
  document.addEventListener("htmx:afterSettle", readyNew);

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  readyNew();
})();

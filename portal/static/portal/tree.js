// Expand and collapse organization tree nodes; children are fetched once, on first expand (htmx).
(function () {
  "use strict";

  function setOpen(toggle, box, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.classList.toggle("is-open", open);
    box.hidden = !open;
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".tree-toggle");
    if (!toggle) return;
    var box = toggle.parentElement.querySelector(".tree-children");
    var open = toggle.getAttribute("aria-expanded") === "true";
    setOpen(toggle, box, !open);
    if (!open && !box.dataset.loaded) {
      box.dataset.loaded = "1";
      box.setAttribute("aria-busy", "true");
      htmx.ajax("GET", toggle.dataset.childrenUrl, { target: box, swap: "innerHTML" });
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var box = event.detail.target;
    if (box && box.classList && box.classList.contains("tree-children")) box.removeAttribute("aria-busy");
  });

  // A failed load (portal.js shows the error in place) is retried on the next expand.
  function forget(event) {
    var box = event.detail && event.detail.target;
    if (box && box.classList && box.classList.contains("tree-children")) {
      delete box.dataset.loaded;
      box.removeAttribute("aria-busy");
    }
  }
  document.addEventListener("htmx:responseError", forget);
  document.addEventListener("htmx:sendError", forget);
})();

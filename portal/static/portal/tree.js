// Expand and collapse organization tree nodes; children are fetched once, on first expand.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest(".tree-toggle");
  if (!toggle) return;
  var box = toggle.parentElement.querySelector(".tree-children");
  var open = toggle.getAttribute("aria-expanded") === "true";
  if (open) {
    box.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = "▸";
    return;
  }
  toggle.setAttribute("aria-expanded", "true");
  toggle.textContent = "▾";
  box.hidden = false;
  if (!box.dataset.loaded) {
    box.dataset.loaded = "1";
    htmx.ajax("GET", toggle.dataset.childrenUrl, { target: box, swap: "innerHTML" });
  }
});

// Small behaviours shared by every page. No framework: Bootstrap's bundle and htmx are enough.
(function () {
  "use strict";

  // An htmx fragment that fails to load (server error, network down on the intranet) says so in
  // place instead of leaving an empty box; the message comes from the page (translated).
  function showLoadError(event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var text = document.body.dataset.loadError || "Could not load this part of the page.";
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger py-1 px-2 my-1 small load-error";
    alert.setAttribute("role", "alert");
    alert.textContent = status ? text + " (" + status + ")" : text;
    target.replaceChildren(alert);
  }
  document.addEventListener("htmx:responseError", showLoadError);
  document.addEventListener("htmx:sendError", showLoadError);

  // Behaviours that would otherwise be inline handlers, which the Content-Security-Policy forbids.
  // A select marked data-autosubmit submits its form when changed (language, dashboard organization).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });
  // A link marked data-history-back goes back one page (a form's Cancel when it has nowhere better).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-history-back]");
    if (!link) return;
    event.preventDefault();
    window.history.back();
  });

  // Forms marked data-confirm ask before submitting (e.g. irreversible workflow steps).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();

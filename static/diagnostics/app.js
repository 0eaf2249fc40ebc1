// Progressive enhancement for the step panel. The flow works without this file.
// After htmx swaps in a new step: move focus to its heading and announce it.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var panel = document.getElementById("panel");
    if (!panel || !panel.contains(event.target) && event.target !== panel) {
      return;
    }
    var heading = panel.querySelector("[data-step-heading]");
    var announcer = document.getElementById("announcer");
    if (heading) {
      heading.focus({ preventScroll: false });
      if (announcer) {
        announcer.textContent = "";
        window.setTimeout(function () { announcer.textContent = heading.textContent.trim(); }, 50);
      }
    }
  });
})();

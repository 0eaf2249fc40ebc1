// Progressive enhancement for the step panel. The flow works without this file.
// - After htmx swaps in a new step: move focus to its heading (which screen
//   readers then read out).
// - A 4xx response that is a whole page (an expired form) replaces the page
//   instead of being squeezed into the panel.
// - If a request fails (no connection, a server error), say so and leave the
//   step on screen, usable, so the person can simply try again.
// - A page restored from the back/forward cache asks the server again for the
//   step at its address. (Back and Forward between steps that htmx swapped in
//   reload the page: htmx keeps no history copies, see base.html.)
// - The escalation summary gets a "Print or save" button.
// - The second click of a double click or double tap is ignored on answers.
// - Inside another site's iframe (no cookies), the start form carries a random
//   value made by this page, so its start ticket counts for this browser only.
// - Inside an embedding site's iframe (<html data-embed-origin>), tell that
//   page (and only that origin) the content's height and each step, and add
//   nothing to its history. See static/helpdesk/embed.js and docs/embedding.md.
(function () {
  "use strict";
  var FULL_PAGE = /^\s*(<!doctype|<html)/i;
  var wholePage = false;

  function panel() {
    return document.getElementById("panel");
  }

  function revealPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function announce(text) {
    var announcer = document.getElementById("announcer");
    if (!announcer) {
      return;
    }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function focusHeading(heading) {
    if (!heading) {
      return;
    }
    if (!heading.hasAttribute("tabindex")) {
      heading.setAttribute("tabindex", "-1");
    }
    heading.focus({ preventScroll: true });
    // Bring the top of the new step into view if the person had scrolled past it.
    var top = (panel() || heading).getBoundingClientRect().top;
    if (top < 0 || heading.getBoundingClientRect().bottom > window.innerHeight) {
      window.scrollBy(0, top - 12);
    }
    // Screen readers read the heading that receives focus. Only if focus could
    // not get there (or the document itself is not focused, e.g. an iframe the
    // person has not touched) is the heading announced instead, so it is never
    // read twice.
    if (document.activeElement !== heading || !document.hasFocus()) {
      announce(heading.textContent.trim());
    }
  }

  function showProblem(message) {
    var current = panel();
    if (!current) {
      return;
    }
    var box = current.querySelector(".notice--problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "notice notice--problem";
      box.setAttribute("role", "alert");
      current.insertBefore(box, current.firstChild);
    }
    box.textContent = message;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    // 4xx pages rendered by Django itself (an expired form's 403, a 404): show
    // them whole. A 5xx keeps the step on screen so the person can try again.
    wholePage = Boolean(
      xhr && xhr.status >= 400 && xhr.status < 500 && FULL_PAGE.test(xhr.responseText || "")
    );
    if (wholePage) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = document.body;
      event.detail.swapOverride = "innerHTML";
      event.detail.selectOverride = null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    revealPrintButtons();
    if (wholePage) {
      wholePage = false;
      focusHeading(document.querySelector("main h1, main h2"));
      return;
    }
    var current = panel();
    if (!current || !(current === event.target || current.contains(event.target))) {
      return;
    }
    focusHeading(current.querySelector("[data-step-heading]"));
  });

  // Tell assistive technology the step is being replaced while a request runs.
  document.addEventListener("htmx:beforeRequest", function () {
    var current = panel();
    if (current) {
      current.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:afterRequest", function () {
    var current = panel();
    if (current) {
      current.removeAttribute("aria-busy");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showProblem("We couldn't reach the help desk. Check your connection, then try again.");
  });
  document.addEventListener("htmx:timeout", function () {
    showProblem("The help desk is taking too long to answer. Please try again.");
  });
  document.addEventListener("htmx:responseError", function () {
    showProblem("Something went wrong on our side. Your answers so far are saved: please try again in a minute.");
  });

  // Back/forward cache: the page can come back exactly as it was left, even if
  // the diagnosis moved on in another tab since. Fetch the step at this address
  // again (it may have become an earlier step meanwhile).
  window.addEventListener("pageshow", function (event) {
    var current = panel();
    if (event.persisted && current && window.htmx) {
      // Embedded pages carry the diagnosis in a token (?d=), kept current in the
      // forms, and the embedding site (&site=).
      var token = current.querySelector("input[name=d]");
      var site = document.documentElement.getAttribute("data-embed-origin");
      var url = window.location.pathname +
        (token && token.value
          ? "?d=" + encodeURIComponent(token.value) + (site ? "&site=" + encodeURIComponent(site) : "")
          : window.location.search);
      window.htmx.ajax("GET", url, { target: current, swap: "outerHTML" });
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });

  // The escalation summary sits behind a disclosure ("More: ..."): paper gets
  // it open, however the page was left, and the screen gets it back as it was.
  var closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    closedForPrint = Array.prototype.filter.call(
      document.querySelectorAll("details.more"), function (details) { return !details.open; });
    closedForPrint.forEach(function (details) { details.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closedForPrint.forEach(function (details) { details.open = false; });
    closedForPrint = [];
  });

  // A double tap or double click must not answer the next step unseen. Its
  // first click can bring in the next step before the second arrives, which
  // then lands on whatever button is under the finger now. The browser numbers
  // the clicks of a double click (event.detail 2, 3...): only a first click
  // answers. Keyboard presses have detail 0 and are never held back.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#panel button[type=submit]");
    if (button && event.detail > 1) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Embedded pages have no cookie to tell this browser from another, so the
  // start form carries a random value of this page's own: the same Start
  // posted twice from here opens one diagnosis, and its ticket posted from any
  // other browser opens a new one there (diagnostics/flow/ownership.py).
  var pageValue = "";
  function bindStartForms() {
    if (window.location.pathname.indexOf("/embed/") !== 0 || !window.crypto) {
      return;
    }
    if (!pageValue) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      pageValue = Array.prototype.map.call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("input[name=ticket]") && !form.querySelector("input[name=browser]")) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "browser";
        field.value = pageValue;
        form.appendChild(field);
      }
    });
  }
  document.addEventListener("htmx:load", bindStartForms);  // a start screen swapped in

  bindStartForms();
  revealPrintButtons();
  embedded(document.documentElement.getAttribute("data-embed-origin"));

  // --- Inside an embedding site's iframe -------------------------------------
  // The server names the embedding page's origin only once it has checked it
  // against the allowed list, and frame-ancestors lets no other page frame us;
  // messages go to that exact origin, never "*".
  function embedded(host) {
    if (!host || window.parent === window) {
      return;
    }
    function send(type, detail) {
      var current = panel();
      var message = { type: type, detail: detail || {}, title: document.title };
      if (current && current.hasAttribute("data-token")) {
        message.token = current.getAttribute("data-token"); // lets the host page resume
      }
      window.parent.postMessage(message, host);
    }
    function number(value) {
      return value ? Number(value) : null;
    }
    // What is on screen now; outcome events only when the person just got there.
    function report(loaded) {
      var current = panel();
      var data = current ? current.dataset : {};
      var kind = data.step || "page";
      send("helpdesk:step", {
        kind: kind, number: number(data.number), outcome: data.outcome || null, loaded: loaded
      });
      if (!loaded && kind === "outcome" && data.status === "resolved") {
        send("helpdesk:resolved", { outcome: data.outcome });
      } else if (!loaded && kind === "outcome" && data.status === "escalated") {
        send("helpdesk:escalated", { supportCode: data.supportCode || "" });
      }
    }
    var lastHeight = 0;
    function resize() {
      var height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== lastHeight) {
        lastHeight = height;
        send("helpdesk:resize", { height: height });
      }
    }
    if (window.ResizeObserver) {
      new window.ResizeObserver(resize).observe(document.body);
    }
    resize();
    report(true);
    document.addEventListener("htmx:afterSettle", function (event) {
      var current = panel();
      // The new panel, or a whole page swapped in (an error): both are news.
      if (current && (event.target.contains(current) || current.contains(event.target))) {
        report(false);
      }
    });
    // Links inside the frame replace the page instead of adding a history
    // entry, which would land in the host page's Back button.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || link.target || event.button !== 0 ||
          event.ctrlKey || event.metaKey || event.shiftKey || event.altKey ||
          link.origin !== window.location.origin) {
        return;
      }
      event.preventDefault();
      if (link.getAttribute("href").charAt(0) === "#") { // "Skip to content"
        var target = document.getElementById(link.hash.slice(1));
        if (target) {
          target.focus();
        }
        return;
      }
      window.location.replace(link.href);
    });
  }
})();

// The help desk on another website, in one line (docs/embedding.md):
//   <script src="https://HELPDESK/static/helpdesk/embed.js" data-guide="SLUG" async></script>
// Puts the guide's iframe where this tag stands (or into the element whose id
// is in data-target), sizes it to its content, keeps the person's place across
// reloads of this page (sessionStorage), scrolls each new step into view, and
// passes the frame's events on as DOM events on the iframe:
// helpdesk:step, helpdesk:resolved, helpdesk:escalated, helpdesk:resize.
// Written for the help desk; no inline styles or scripts, no cookies.
(function () {
  "use strict";
  var script = document.currentScript;
  var guide = script && script.getAttribute("data-guide");
  if (!guide) {
    return;
  }
  var desk = new URL(script.src); // the help desk: where this file came from
  var base = new URL(desk.pathname.replace(/static\/helpdesk\/embed\.js$/, ""), desk.origin);
  var key = "helpdesk:" + desk.origin + ":" + guide;
  var EVENTS = ["helpdesk:step", "helpdesk:resolved", "helpdesk:escalated", "helpdesk:resize"];
  var MIN_HEIGHT = 200;
  var MAX_HEIGHT = 20000;
  var heard = false;

  function saved(token) {
    try { // storage can be switched off; the frame then simply starts afresh
      if (token === undefined) {
        return window.sessionStorage.getItem(key) || "";
      }
      if (token) {
        window.sessionStorage.setItem(key, token);
      } else {
        window.sessionStorage.removeItem(key);
      }
    } catch (error) { /* nothing to keep */ }
    return "";
  }

  var src = new URL("embed/guides/" + encodeURIComponent(guide) + "/", base);
  src.searchParams.set("site", window.location.origin);
  if (saved()) {
    src.searchParams.set("d", saved());
  }
  var frame = document.createElement("iframe");
  frame.src = src.href; // set before it is in the page: no entry in this page's history
  frame.title = script.getAttribute("data-title") || "Help desk";
  frame.className = "helpdesk-frame";
  frame.style.cssText = "display:block;width:100%;border:0;height:" + MIN_HEIGHT * 3 + "px";
  var name = script.getAttribute("data-target");
  var target = name && document.getElementById(name.replace(/^#/, ""));
  if (target) {
    target.appendChild(frame);
  } else {
    script.parentNode.insertBefore(frame, script);
  }

  // Not one word from the frame: this site is not on the help desk's list (the
  // browser refused to show the frame). Offer the help desk's own page instead.
  var fallback = document.createElement("p");
  fallback.className = "helpdesk-fallback";
  fallback.hidden = true;
  fallback.appendChild(document.createTextNode("The help desk can't be shown here. "));
  var link = document.createElement("a");
  link.href = new URL("guides/" + encodeURIComponent(guide) + "/", base).href;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = "Open it in a new tab";
  fallback.appendChild(link);
  frame.parentNode.insertBefore(fallback, frame.nextSibling);
  frame.addEventListener("load", function () {
    window.setTimeout(function () {
      if (!heard) {
        frame.style.display = "none";
        fallback.hidden = false;
      }
    }, 3000);
  });

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.origin !== desk.origin || event.source !== frame.contentWindow ||
        !message || EVENTS.indexOf(message.type) < 0) {
      return;
    }
    var detail = message.detail || {};
    heard = true;
    frame.style.display = "block";
    fallback.hidden = true;
    if (typeof message.token === "string") {
      saved(message.token); // an empty token (the start screen, an ended session) clears it
    }
    if (typeof message.title === "string" && message.title) {
      frame.title = message.title.slice(0, 200);
    }
    if (message.type === "helpdesk:resize") {
      var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(Number(detail.height) || 0)));
      frame.style.height = height + "px";
    }
    if (message.type === "helpdesk:step" && !detail.loaded) {
      var top = frame.getBoundingClientRect().top;
      if (top < -1 || top > window.innerHeight * 0.5) {
        frame.scrollIntoView({ block: "start" });
      }
    }
    frame.dispatchEvent(new CustomEvent(message.type, { detail: detail, bubbles: true }));
  });
})();

/* The top bar below the breakpoint (labtrack.css): the areas, the search box and the account
   collapse behind the menu button. Without JavaScript nothing collapses (the class "js" is never
   set) and the bar simply wraps. The button is a disclosure: Enter or Space opens and closes it,
   Escape closes it and gives the focus back to the button. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUp() {
    var bar = document.getElementById("topbar");
    var button = document.getElementById("menu-toggle");
    if (!bar || !button) { return; }

    function setOpen(open) {
      bar.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("menu-open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

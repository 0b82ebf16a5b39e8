/* The top bar collapses behind the menu button below the breakpoint (labtrack.css) and, on wider
   screens, whenever its areas, search box and account would not fit in one row (an administrator's
   seventeen areas at 1,280 px wrap into five rows): then the bar gets the class "crowded", measured
   here on load, when the fonts are ready and on every resize. Without JavaScript nothing collapses
   (the class "js" is never set) and the bar simply wraps. The button is a disclosure: Enter or Space
   opens and closes it, Escape closes it and gives the focus back to the button. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUp() {
    var bar = document.getElementById("topbar");
    var button = document.getElementById("menu-toggle");
    if (!bar || !button) { return; }
    var narrow = window.matchMedia("(max-width: 64em)");

    function setOpen(open) {
      bar.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    /* One row: every item of the open bar overlaps every other vertically. */
    function wraps() {
      var items = bar.querySelectorAll(".brand, .areas a, form.find, .account > *");
      var lowestTop = -Infinity, highestBottom = Infinity;
      for (var i = 0; i < items.length; i++) {
        var box = items[i].getBoundingClientRect();
        if (box.width === 0 && box.height === 0) { continue; }
        lowestTop = Math.max(lowestTop, box.top);
        highestBottom = Math.min(highestBottom, box.bottom);
      }
      return lowestTop >= highestBottom;
    }

    /* Measured open, decided before the next paint: the bar never shows in between. */
    function fit() {
      bar.classList.remove("crowded");
      if (narrow.matches) { return; }
      var crowded = wraps();
      bar.classList.toggle("crowded", crowded);
      if (!crowded && bar.classList.contains("menu-open")) { setOpen(false); }
    }

    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fit(); });
    });
    window.addEventListener("load", fit);
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
    fit();

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

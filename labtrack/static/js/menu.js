/* The top bar collapses behind the menu button below the breakpoint (labtrack.css) and, on wider
   screens, whenever its two rows would wrap (the name, search box and account on the first, the
   areas on the second; an administrator's seventeen areas do not fit one row at 1,280 px): then
   the bar gets the class "crowded", measured here on load, when the fonts are ready and on every resize. Without JavaScript nothing collapses
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

    /* Whether the boxes share one row: every one overlaps every other vertically. */
    function oneRow(items) {
      var lowestTop = -Infinity, highestBottom = Infinity;
      for (var i = 0; i < items.length; i++) {
        var box = items[i].getBoundingClientRect();
        if (box.width === 0 && box.height === 0) { continue; }
        lowestTop = Math.max(lowestTop, box.top);
        highestBottom = Math.min(highestBottom, box.bottom);
      }
      return lowestTop < highestBottom;
    }

    /* The open bar fits when its two rows do: the name, search box and account on one, the areas on
       the other, and nothing sticks out of the bar. */
    function wraps() {
      return !oneRow(bar.querySelectorAll(".brand, form.find, .account > *")) ||
        !oneRow(bar.querySelectorAll(".areas a")) ||
        bar.scrollWidth > bar.clientWidth;
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

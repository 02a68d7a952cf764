// The embed form: only items the chosen kind can show are offered; the list is enabled only
// when "Only these items" is chosen. Hidden choices are disabled so they are not sent.
(function () {
  "use strict";
  function init() {
    const form = document.getElementById("embed-form");
    const kind = document.getElementById("embed-kind");
    if (!form || !kind) return;
    const choices = Array.prototype.slice.call(form.querySelectorAll("[data-item-kind]"));
    const none = document.getElementById("no-items-of-kind");
    const modes = form.querySelectorAll('input[name="items_mode"]');

    function update() {
      const option = kind.options[kind.selectedIndex];
      const shows = (option && option.dataset.shows ? option.dataset.shows : "").split(" ");
      const chosenMode = form.querySelector('input[name="items_mode"]:checked');
      const picking = chosenMode && chosenMode.value === "chosen";
      let visible = 0;
      choices.forEach(function (label) {
        const fits = shows.indexOf(label.dataset.itemKind) !== -1;
        const input = label.querySelector("input");
        label.hidden = !fits;
        if (input) input.disabled = !fits || !picking;
        if (fits) visible += 1;
      });
      if (none) none.hidden = visible > 0 || choices.length === 0;
    }
    kind.addEventListener("change", update);
    Array.prototype.forEach.call(modes, function (m) { m.addEventListener("change", update); });
    update();
    // Back/forward restores the chosen kind without a change event.
    window.addEventListener("pageshow", update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

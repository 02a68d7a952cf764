// Live preview of a syndicated item while its form is edited. Text only (textContent): what a
// marketer types is never parsed as HTML here.
(function () {
  "use strict";
  function init() {
    const form = document.getElementById("item-form");
    if (!form) return;
    const value = function (name) {
      const input = form.querySelector('[name="' + name + '"]');
      return input ? input.value.trim() : "";
    };
    const defaults = {};
    document.querySelectorAll("[data-preview-text]").forEach(function (node) {
      const name = node.dataset.previewText;
      if (!(name in defaults)) defaults[name] = node.textContent;
    });

    function update() {
      document.querySelectorAll("[data-preview-text]").forEach(function (node) {
        const name = node.dataset.previewText;
        let text = value(name);
        if (!text && node.dataset.previewFallback) text = value(node.dataset.previewFallback);
        node.textContent = text || (name === "image_url" ? "" : placeholder(name));
      });
      document.querySelectorAll("[data-preview]").forEach(function (node) {
        node.hidden = !value(node.dataset.preview);
      });
      document.querySelectorAll("[data-preview-list]").forEach(function (list) {
        list.textContent = "";
        value(list.dataset.previewList).split("\n").forEach(function (line) {
          if (!line.trim()) return;
          const li = document.createElement("li");
          li.textContent = line.trim();
          list.appendChild(li);
        });
      });
      const asked = Array.prototype.map.call(
        form.querySelectorAll('input[name="fields"]:checked, input[type="hidden"][name="fields"]'),
        function (i) { return i.value; }
      );
      document.querySelectorAll("[data-preview-field]").forEach(function (node) {
        node.hidden = asked.indexOf(node.dataset.previewField) === -1;
      });
    }

    function placeholder(name) {
      return {
        headline: "Your headline", name: "Product name", title: "Title",
        cta_label: "Learn more", submit_label: "Send", consent_text: "Consent wording",
      }[name] || "";
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

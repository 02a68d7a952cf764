// The embed snippet's Copy button: the clipboard API, else select-and-copy, else a hint.
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("button[data-copy-snippet]").forEach(function (button) {
      const id = button.dataset.copySnippet;
      const box = document.getElementById(id);
      const status = document.querySelector('[data-copy-status="' + id + '"]');
      if (!box) return;
      box.addEventListener("focus", function () { box.select(); });
      button.addEventListener("click", function () {
        const done = function (ok) {
          if (status) status.textContent = ok ? "Copied. Paste it into your page's HTML." : "Press Ctrl+C (or Cmd+C) to copy.";
          box.focus();
          box.select();
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () { done(false); });
        } else {
          box.focus();
          box.select();
          let ok = false;
          try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
          done(ok);
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

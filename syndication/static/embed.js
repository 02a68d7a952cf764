/*! Cobrand embed: <script async src="{BASE}/embed.js" data-embed="KEY"></script> */
(function () {
  "use strict";
  var VERSION = "1.0.0";
  // Every value from the API is data: text goes in with textContent, links only when they are
  // http(s), no innerHTML, eval or inline handlers; all of it inside a shadow root.
  var doc = document;
  var current = doc.currentScript; // only readable now, synchronously, while this tag runs
  var MARK = "data-cobrand-" + "mounted";
  var FIELD_LABELS = {
    name: ["Name", "text", "name"],
    email: ["Email", "email", "email"],
    company: ["Company", "text", "organization"],
    phone: ["Phone", "tel", "tel"],
    country: ["Country", "text", "country-name"],
    message: ["Message", "", "off"]
  };
  var CSS =
    ":host{all:initial;display:block!important;visibility:visible!important;opacity:1!important}" +
    ".cb{--p:#1c5fb8;--t:#fff;box-sizing:border-box;color:#1d2433;background:transparent;" +
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;" +
    "text-align:left;max-width:100%}" +
    ".cb *{box-sizing:border-box;font:inherit;color:inherit;margin:0;padding:0}" +
    ".cb [hidden]{display:none!important}" +
    ".cb a{color:var(--p);text-decoration:underline}" +
    ".cb h2,.cb h3,.cb strong{font-weight:700}.cb h2{font-size:20px}.cb h3{font-size:17px}" +
    ".cb img{display:block;max-width:100%;height:auto;border:0}" +
    ".logo{max-height:40px;margin:0 0 8px}" +
    ".sec{margin:0 0 16px}" +
    ".box{border:1px solid #dde2ea;border-radius:8px;padding:12px 16px;background:#fff}" +
    ".slide img{margin:0 0 8px;border-radius:6px}.slide p{margin:4px 0 10px}" +
    ".btn{display:inline-block;border:0;border-radius:6px;padding:8px 16px;cursor:pointer;" +
    "background:var(--p);color:var(--t)!important;text-decoration:none!important;font-weight:600}" +
    ".btn[disabled]{opacity:.6;cursor:default}" +
    ".dots{display:flex;gap:6px;margin:8px 0 0}" +
    ".dots button{width:10px;height:10px;border-radius:50%;border:1px solid var(--p);" +
    "background:#fff;cursor:pointer}.dots button[aria-current=true]{background:var(--p)}" +
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}" +
    ".grid img{margin:0 0 8px;border-radius:6px}" +
    ".grid p,.grid ul{margin:4px 0 8px}.grid ul{padding:0 0 0 18px}" +
    ".res{display:flex;gap:12px;align-items:flex-start;margin:0 0 8px}" +
    ".res img{width:72px;border-radius:4px;flex:none}.fmt{font-size:12px;color:#5b6475}" +
    "form label{display:block;margin:8px 0 2px;font-weight:600}" +
    "input,textarea{display:block;width:100%;padding:6px 8px;border:1px solid #b8c0cc;" +
    "border-radius:6px;background:#fff;color:#1d2433}textarea{min-height:80px}" +
    "input[aria-invalid=true],textarea[aria-invalid=true]{border-color:#b3261e}" +
    ".req{color:#b3261e}.err{display:block;color:#b3261e;font-size:13px}" +
    ".consent{display:flex;gap:8px;align-items:flex-start;font-weight:400!important;" +
    "font-size:13px}.consent input{width:auto;margin:4px 0 0}" +
    ".hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}" +
    ".msg{margin:8px 0}.act{margin:12px 0 0}.btn+.msg{display:inline-block;margin:0 0 0 8px}";
  var sheet = null;

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null && text !== "") e.textContent = String(text);
    return e;
  }

  function add(parent, child) {
    parent.appendChild(child);
    return child;
  }

  function safeUrl(u) {
    if (typeof u !== "string" || !u) return null;
    try {
      var url = new URL(u);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, text, cls) {
    var a = el("a", cls, text);
    var u = safeUrl(href);
    if (u) {
      a.href = u;
      a.target = "_blank";
      a.rel = "noopener";
    }
    return a;
  }

  function img(src, alt, cls) {
    var u = safeUrl(src);
    if (!u) return null;
    var i = el("img", cls);
    i.alt = alt || "";
    i.loading = "lazy";
    i.decoding = "async";
    i.src = u;
    return i;
  }

  function warn(msg) {
    if (window.console && console.warn) console.warn("[cobrand embed " + VERSION + "] " + msg);
  }

  function fire(host, name, detail) {
    var ev;
    try {
      ev = new CustomEvent(name, { bubbles: true, detail: detail });
    } catch (e) {
      return;
    }
    host.dispatchEvent(ev);
  }

  function styleRoot(root) {
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) {
        /* fall back to a <style> element */
      }
    }
    add(root, el("style", "", CSS));
  }

  // -- events: impressions and clicks, batched, sent with sendBeacon -----------------------------

  var trackers = [];

  function tracker(url) {
    var t = { url: safeUrl(url), queue: [], seen: {} };
    if (t.url) trackers.push(t);
    return t;
  }

  function flush() {
    for (var i = 0; i < trackers.length; i++) {
      var t = trackers[i];
      while (t.queue.length) {
        var body = JSON.stringify({ events: t.queue.splice(0, 100) });
        var sent = false;
        try {
          sent = navigator.sendBeacon && navigator.sendBeacon(t.url, body);
        } catch (e) {
          sent = false;
        }
        if (!sent && window.fetch) {
          fetch(t.url, {
            method: "POST",
            body: body,
            mode: "cors",
            credentials: "omit",
            keepalive: true,
            headers: { "Content-Type": "text/plain" }
          })["catch"](function () {});
        }
      }
    }
  }

  doc.addEventListener("visibilitychange", function () {
    if (doc.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);
  setInterval(flush, 10000);

  function track(t, type, id) {
    if (!t.url || typeof id !== "number") return;
    if (type === "impression") {
      if (t.seen[id]) return;
      t.seen[id] = 1;
    }
    t.queue.push({ type: type, item_id: id });
  }

  var observer = null;
  var watched = [];

  function watch(t, node, id) {
    if (!window.IntersectionObserver) return track(t, "impression", id);
    if (!observer) {
      observer = new IntersectionObserver(
        function (entries) {
          for (var i = 0; i < entries.length; i++) {
            if (!entries[i].isIntersecting) continue;
            for (var j = 0; j < watched.length; j++) {
              if (watched[j][0] === entries[i].target) {
                track(watched[j][1], "impression", watched[j][2]);
                observer.unobserve(entries[i].target);
              }
            }
          }
        },
        { threshold: 0.5 }
      );
    }
    watched.push([node, t, id]);
    observer.observe(node);
  }

  function clicks(t, a, id) {
    a.addEventListener("click", function () {
      track(t, "click", id);
    });
  }

  // -- sections -----------------------------------------------------------------------------------

  function banners(list, t) {
    var sec = el("section", "sec box");
    sec.setAttribute("aria-roledescription", "carousel");
    var slides = [];
    var dots = el("div", "dots");
    var at = 0;
    var paused = false;
    function show(n) {
      at = (n + slides.length) % slides.length;
      for (var i = 0; i < slides.length; i++) {
        slides[i].hidden = i !== at;
        if (dots.children[i]) dots.children[i].setAttribute("aria-current", String(i === at));
      }
    }
    list.forEach(function (b, i) {
      var s = add(sec, el("div", "slide"));
      var pic = img(b.image_url, "");
      if (pic) add(s, pic);
      add(s, el("h2", "", b.headline));
      if (b.text) add(s, el("p", "", b.text));
      if (safeUrl(b.cta_url)) clicks(t, add(s, link(b.cta_url, b.cta_label || "Learn more", "btn")), b.id);
      slides.push(s);
      watch(t, s, b.id);
      if (list.length > 1) {
        var d = add(dots, el("button"));
        d.type = "button";
        d.setAttribute("aria-label", "Banner " + (i + 1) + " of " + list.length);
        d.addEventListener("click", function () {
          show(i);
        });
      }
    });
    if (slides.length > 1) {
      add(sec, dots);
      var still = window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
      sec.addEventListener("mouseenter", function () { paused = true; });
      sec.addEventListener("mouseleave", function () { paused = false; });
      sec.addEventListener("focusin", function () { paused = true; });
      sec.addEventListener("focusout", function () { paused = false; });
      if (!still) {
        setInterval(function () {
          if (!paused && !doc.hidden) show(at + 1);
        }, 6000);
      }
    }
    show(0);
    return sec;
  }

  function products(list, t) {
    var sec = el("section", "sec grid");
    list.forEach(function (p) {
      var card = add(sec, el("article", "box"));
      var pic = img(p.image_url, "");
      if (pic) add(card, pic);
      add(card, el("h3", "", p.name));
      if (p.summary) add(card, el("p", "", p.summary));
      if (p.features && p.features.length) {
        var ul = add(card, el("ul"));
        p.features.forEach(function (f) {
          add(ul, el("li", "", f));
        });
      }
      if (safeUrl(p.url)) clicks(t, add(card, link(p.url, "Learn more", "btn")), p.id);
      watch(t, card, p.id);
    });
    return sec;
  }

  function resources(list, t) {
    var sec = el("section", "sec box");
    list.forEach(function (r) {
      var row = add(sec, el("div", "res"));
      var pic = img(r.thumbnail_url, "");
      if (pic) add(row, pic);
      var body = add(row, el("div"));
      var a = add(body, link(r.download_url, r.title));
      if (r.format) add(body, el("span", "fmt", " " + String(r.format).toUpperCase()));
      if (r.description) add(body, el("p", "", r.description));
      clicks(t, a, r.id);
      watch(t, row, r.id);
    });
    return sec;
  }

  function form(f, data, url, uid) {
    var box = el("section", "sec box");
    box.setAttribute("aria-live", "polite"); // errors, "Sending…" and the thanks are read out
    var fm = add(box, el("form"));
    fm.noValidate = true; // the server's field messages are shown, in one style
    if (f.title) add(fm, el("strong", "", f.title));
    var required = f.required || [];
    var inputs = {};
    var errors = {};
    (f.fields || []).forEach(function (name) {
      var spec = FIELD_LABELS[name];
      if (!spec) return;
      var id = "cb" + uid + "-" + name;
      var lab = add(fm, el("label", "", spec[0]));
      lab.htmlFor = id;
      var input = el(spec[1] ? "input" : "textarea");
      if (spec[1]) input.type = spec[1];
      input.id = id;
      input.name = name;
      input.autocomplete = spec[2];
      if (required.indexOf(name) >= 0) {
        input.required = true;
        var star = add(lab, el("span", "req", " *"));
        star.setAttribute("aria-hidden", "true");
      }
      add(fm, input);
      var err = add(fm, el("span", "err"));
      err.id = id + "-err";
      err.hidden = true;
      inputs[name] = input;
      errors[name] = err;
    });
    // The honeypot: people never see or reach it, bots fill it in.
    var hp = add(fm, el("div", "hp"));
    hp.setAttribute("aria-hidden", "true");
    var trap = add(hp, el("input"));
    trap.type = "text";
    trap.name = "website";
    trap.tabIndex = -1;
    trap.autocomplete = "off";
    var consentLabel = add(fm, el("label", "consent"));
    var consent = add(consentLabel, el("input"));
    consent.type = "checkbox";
    consent.name = "consent";
    consent.required = true;
    add(consentLabel, el("span", "", f.consent_text));
    var consentErr = add(fm, el("span", "err"));
    consentErr.hidden = true;
    errors.consent = consentErr;
    inputs.consent = consent;
    var row = add(fm, el("div", "act"));
    var button = add(row, el("button", "btn", f.submit_label || "Send"));
    button.type = "submit";
    var msg = add(row, el("span", "msg"));
    var token = f.form_token;
    var retried = false;

    function clear() {
      for (var k in errors) {
        errors[k].hidden = true;
        errors[k].textContent = "";
        inputs[k].removeAttribute("aria-invalid");
        inputs[k].removeAttribute("aria-describedby");
      }
    }

    function send() {
      var fields = {};
      (f.fields || []).forEach(function (name) {
        if (inputs[name]) fields[name] = inputs[name].value;
      });
      var payload = {
        form_id: f.id,
        fields: fields,
        consent: consent.checked,
        website: trap.value,
        form_token: token,
        page_url: location.href
      };
      fetch(data.leads_url, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload)
      })
        .then(function (r) {
          return r.json()["catch"](function () { return {}; }).then(function (j) {
            return [r, j];
          });
        })
        .then(function (res) {
          var j = res[1] || {};
          if (res[0].ok) {
            box.replaceChild(el("p", "msg", j.message || f.thank_you || "Thank you!"), fm);
            return;
          }
          var e = j.error || {};
          if (e.code === "form_expired" && !retried) {
            retried = true;
            return load(url, "reload").then(function (fresh) {
              var same = (fresh.forms || []).filter(function (x) { return x.id === f.id; })[0];
              if (!same) throw new Error("form gone");
              token = same.form_token;
              setTimeout(send, 2500);
            });
          }
          done(e.message || "The form could not be sent. Please try again.", e.fields || {});
        })
        ["catch"](function () {
          done("The form could not be sent. Please check your connection and try again.", {});
        });
    }

    function done(text, fields) {
      button.disabled = false;
      msg.textContent = text;
      for (var k in fields) {
        if (!errors[k]) continue;
        errors[k].textContent = String(fields[k]);
        errors[k].hidden = false;
        inputs[k].setAttribute("aria-invalid", "true");
        inputs[k].setAttribute("aria-describedby", errors[k].id || "");
      }
    }

    var shownAt = Date.now();
    fm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (button.disabled) return;
      clear();
      button.disabled = true;
      msg.textContent = "Sending\u2026";
      // The server refuses forms sent within ~2 s of their token (bots); autofill can be that fast.
      setTimeout(send, Math.max(0, 2500 - (Date.now() - shownAt)));
    });
    return box;
  }

  // -- mounting -----------------------------------------------------------------------------------

  function load(url, cache) {
    return fetch(url, { mode: "cors", credentials: "omit", cache: cache || "default" }).then(
      function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }
    );
  }

  var count = 0;

  function render(host, data, url) {
    var root = host.attachShadow({ mode: "open" });
    styleRoot(root);
    var wrap = add(root, el("div", "cb"));
    var theme = data.theme || {};
    var color = String(theme.primary_color || "");
    if (/^#[0-9a-f]{3}$/i.test(color)) color = color.replace(/[0-9a-f]/gi, "$&$&");
    if (!/^#[0-9a-f]{6}$/i.test(color)) color = "#1c5fb8";
    var n = parseInt(color.slice(1), 16);
    var light = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 160;
    wrap.style.setProperty("--p", color); // CSSOM, which a strict style-src allows
    wrap.style.setProperty("--t", light ? "#1d2433" : "#fff");
    var logo = img(theme.logo_url, theme.partner_name || "", "logo");
    if (logo) add(wrap, logo);
    var t = tracker(data.events_url);
    if (data.banners && data.banners.length) add(wrap, banners(data.banners, t));
    if (data.products && data.products.length) add(wrap, products(data.products, t));
    if (data.resources && data.resources.length) add(wrap, resources(data.resources, t));
    if (safeUrl(data.leads_url) && data.forms) {
      data.leads_url = safeUrl(data.leads_url);
      data.forms.forEach(function (f) {
        add(wrap, form(f, data, url, ++count));
      });
    }
    fire(host, "cobrand:rendered", { key: data.key, version: VERSION });
  }

  function mount(script) {
    script.setAttribute(MARK, "");
    var key = script.getAttribute("data-embed") || "";
    var host = doc.createElement("cobrand-embed");
    if (script.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
    // The API is where the script came from, unless data-api names another base.
    var api = script.getAttribute("data-api");
    var base = api ? safeUrl(api) : safeUrl(script.src) && new URL(script.src).origin;
    if (!/^[\w-]{10,32}$/.test(key) || !base || !window.fetch || !host.attachShadow) {
      warn("cannot show embed " + JSON.stringify(key) + ": bad key, source or browser");
      fire(host, "cobrand:failed", { key: key });
      return;
    }
    var url = base.replace(/\/+$/, "") + "/syndication/v1/embeds/" + key;
    load(url)
      .then(function (data) {
        render(host, data, url);
      })
      ["catch"](function (e) {
        warn("embed " + key + " not shown (" + (e && e.message) + ")");
        fire(host, "cobrand:failed", { key: key });
      });
  }

  var scripts = [];
  if (current && current.hasAttribute("data-embed")) scripts.push(current);
  var all = doc.querySelectorAll("script[data-embed]");
  for (var i = 0; i < all.length; i++) {
    if (all[i] !== current && all[i].src) scripts.push(all[i]);
  }
  for (var k = 0; k < scripts.length; k++) {
    if (!scripts[k].hasAttribute(MARK)) mount(scripts[k]);
  }
})();

/*! Cobrand embed: <script async src="{BASE}/embed.js" data-embed="KEY"></script> */
(function () {
  "use strict";
  var VERSION = "1.0.0";
  // Values from the API are data: text goes in with textContent, links only when http(s); no
  // innerHTML, eval or inline handlers; everything inside a shadow root.
  var doc = document;
  var current = doc.currentScript; // readable only now, while this tag runs
  var MARK = "data-cobrand-mounted";
  var FIELDS = {
    name: ["Name", "text", "name"],
    email: ["Email", "email", "email"],
    company: ["Company", "text", "organization"],
    phone: ["Phone", "tel", "tel"],
    country: ["Country", "text", "country-name"],
    message: ["Message", "", "off"]
  };
  var CSS =
    ":host{all:initial;display:block!important;visibility:visible!important;opacity:1!important}" +
    "*{box-sizing:border-box;margin:0;padding:0}[hidden]{display:none!important}" +
    ".cb{--p:#1c5fb8;--t:#fff;color:#1d2433;text-align:left;" +
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}" +
    "button,input,textarea{font:inherit;color:inherit}a{color:var(--p)}" +
    "h2,h3,strong{font-weight:700}h2{font-size:20px}h3{font-size:17px}ul{padding-left:18px}" +
    "img{display:block;max-width:100%;height:auto;border:0;border-radius:6px}" +
    ".logo{max-height:40px;margin:0 0 8px}.sec{margin:0 0 16px}" +
    ".box{border:1px solid #dde2ea;border-radius:8px;padding:12px 16px;background:#fff}" +
    ".box img,.box p,.box ul{margin:0 0 8px}" +
    ".btn{display:inline-block;border:0;border-radius:6px;padding:8px 16px;cursor:pointer;" +
    "background:var(--p);color:var(--t);text-decoration:none;font-weight:600}" +
    ".btn[disabled]{opacity:.6;cursor:default}.dots{display:flex;gap:6px;margin:8px 0 0}" +
    ".dots button{width:10px;height:10px;border-radius:50%;border:1px solid var(--p);" +
    "background:#fff;cursor:pointer}.dots [aria-current=true]{background:var(--p)}" +
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}" +
    ".res{display:flex;gap:12px;margin:0 0 8px}" +
    ".res img{width:72px;flex:none;border:1px solid #dde2ea}" +
    ".fmt{font-size:12px;color:#5b6475}label{display:block;margin:8px 0 2px;font-weight:600}" +
    "input,textarea{display:block;width:100%;padding:6px 8px;border:1px solid #b8c0cc;" +
    "border-radius:6px;background:#fff}textarea{min-height:80px}" +
    "[aria-invalid=true]{border-color:#b3261e}.req,.err{color:#b3261e}" +
    ".err{display:block;font-size:13px}.consent{display:flex;gap:8px;font-weight:400;" +
    "font-size:13px}.consent input{width:auto;margin:4px 0 0}" +
    ".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}" +
    ".act{margin:12px 0 0}.msg{margin:0 0 0 8px}.privacy{font-size:13px}";
  var sheet;

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
    try {
      var p = new URL(u).protocol;
      return p === "https:" || p === "http:" ? new URL(u).href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, text, cls) {
    var a = el("a", cls, text);
    if (safeUrl(href)) {
      a.href = safeUrl(href);
      a.target = "_blank";
      a.rel = "noopener";
    }
    return a;
  }

  function img(src, alt, cls) {
    if (!safeUrl(src)) return null;
    var i = el("img", cls);
    i.alt = alt || "";
    i.loading = "lazy";
    i.src = safeUrl(src);
    return i;
  }

  function warn(msg) {
    console.warn("[cobrand embed " + VERSION + "] " + msg);
  }

  function fire(host, name, detail) {
    host.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail }));
  }

  // -- events: impressions (once, when seen) and clicks, batched into beacons ---------------------

  var trackers = [];
  var observer;
  // This page view's id: the server counts an item's impression and click once per view.
  var VIEW = Date.now().toString(36) + Math.random().toString(36).slice(2, 12);

  function flush() {
    trackers.forEach(function (t) {
      while (t.queue.length) {
        var body = JSON.stringify({ page_view: VIEW, events: t.queue.splice(0, 100) });
        if (!(navigator.sendBeacon && navigator.sendBeacon(t.url, body))) {
          fetch(t.url, { method: "POST", body: body, credentials: "omit", keepalive: true })[
            "catch"
          ](function () {});
        }
      }
    });
  }

  doc.addEventListener("visibilitychange", function () {
    if (doc.visibilityState === "hidden") flush();
  });
  addEventListener("pagehide", flush);
  setInterval(flush, 10000);

  function track(t, type, id) {
    if (!t.url || t.seen[type + id]) return; // the server would not count it again
    t.seen[type + id] = 1;
    t.queue.push({ type: type, item_id: id });
  }

  function watch(t, node, id) {
    if (!window.IntersectionObserver) return track(t, "impression", id);
    observer =
      observer ||
      new IntersectionObserver(
        function (entries) {
          entries.forEach(function (e) {
            if (!e.isIntersecting) return;
            track(e.target.cbT, "impression", e.target.cbId);
            observer.unobserve(e.target);
          });
        },
        { threshold: 0.5 }
      );
    node.cbT = t;
    node.cbId = id;
    observer.observe(node);
  }

  function clicks(t, a, id) {
    a.addEventListener("click", function () {
      track(t, "impression", id); // clicked is seen, even if never half in view
      track(t, "click", id);
    });
    return a;
  }

  // -- sections -----------------------------------------------------------------------------------

  function banners(list, t) {
    var sec = el("section", "sec box");
    sec.setAttribute("aria-roledescription", "carousel");
    var slides = [];
    var dots = el("div", "dots");
    var at = 0;
    var paused = 0;
    function show(n) {
      at = (n + slides.length) % slides.length;
      slides.forEach(function (s, i) {
        s.hidden = i !== at;
        if (dots.children[i]) dots.children[i].setAttribute("aria-current", String(i === at));
      });
    }
    list.forEach(function (b, i) {
      var s = add(sec, el("div", "slide"));
      var pic = img(b.image_url, "");
      if (pic) add(s, pic);
      add(s, el("h2", "", b.headline));
      add(s, el("p", "", b.text));
      var cta = link(b.cta_url, b.cta_label || "Learn more", "btn");
      if (safeUrl(b.cta_url)) add(s, clicks(t, cta, b.id));
      slides.push(s);
      watch(t, s, b.id); // hidden slides do not intersect: counted when they are shown
      var d = add(dots, el("button"));
      d.type = "button";
      d.setAttribute("aria-label", "Banner " + (i + 1) + " of " + list.length);
      d.addEventListener("click", function () {
        show(i);
      });
    });
    if (slides.length > 1) {
      add(sec, dots);
      ["mouseenter", "focusin", "mouseleave", "focusout"].forEach(function (name, i) {
        sec.addEventListener(name, function () {
          paused = i < 2;
        });
      });
      if (!(window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches)) {
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
      add(card, el("p", "", p.summary));
      if (p.features && p.features.length) {
        var ul = add(card, el("ul"));
        p.features.forEach(function (f) {
          add(ul, el("li", "", f));
        });
      }
      if (safeUrl(p.url)) add(card, clicks(t, link(p.url, "Learn more", "btn"), p.id));
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
      add(body, clicks(t, link(r.download_url, r.title), r.id));
      if (r.format) add(body, el("span", "fmt", " " + String(r.format).toUpperCase()));
      add(body, el("p", "", r.description));
      watch(t, row, r.id);
    });
    return sec;
  }

  function form(f, leadsUrl, contentUrl, uid) {
    var box = el("section", "sec box");
    box.setAttribute("aria-live", "polite"); // errors, "Sending…" and the thanks are read out
    var fm = add(box, el("form"));
    fm.noValidate = true; // the server's messages are shown, in one style
    add(fm, el("strong", "", f.title));
    var inputs = {};
    var errors = {};
    var names = (f.fields || []).filter(function (n) {
      return FIELDS[n];
    });
    function field(name, input, label) {
      var id = "cb" + uid + "-" + name;
      input.id = id;
      input.name = name;
      var err = el("span", "err");
      err.id = id + "-e";
      err.hidden = true;
      inputs[name] = input;
      errors[name] = err;
      label.htmlFor = id;
      return err;
    }
    names.forEach(function (name) {
      var spec = FIELDS[name];
      var label = add(fm, el("label", "", spec[0]));
      var input = el(spec[1] ? "input" : "textarea");
      if (spec[1]) input.type = spec[1];
      input.autocomplete = spec[2];
      if ((f.required || []).indexOf(name) >= 0) {
        input.required = true;
        add(label, el("span", "req", " *")).setAttribute("aria-hidden", "true");
      }
      add(fm, input);
      add(fm, field(name, input, label));
    });
    // The honeypot: people never see or reach it, bots fill it in.
    var hp = add(fm, el("div", "hp"));
    hp.setAttribute("aria-hidden", "true");
    var trap = add(hp, el("input"));
    trap.name = "website";
    trap.tabIndex = -1;
    trap.autocomplete = "off";
    var consentLabel = add(fm, el("label", "consent"));
    var consent = add(consentLabel, el("input"));
    consent.type = "checkbox";
    consent.required = true;
    add(consentLabel, el("span", "", f.consent_text));
    add(consentLabel, el("span", "req", " *")).setAttribute("aria-hidden", "true");
    add(fm, field("consent", consent, consentLabel));
    // The privacy notice, readable before agreeing (outside the label: a click on the link
    // must not tick the box).
    if (safeUrl(f.privacy_url)) add(fm, link(f.privacy_url, "Privacy notice", "privacy"));
    var row = add(fm, el("div", "act"));
    var button = add(row, el("button", "btn", f.submit_label || "Send"));
    var msg = add(row, el("span", "msg"));
    var token = f.form_token;
    var retried = false;
    var shownAt = Date.now();

    function done(text, problems) {
      button.disabled = false;
      msg.textContent = text;
      for (var k in problems) {
        if (!errors[k]) continue;
        var text = String(problems[k]);
        errors[k].textContent = text.charAt(0).toUpperCase() + text.slice(1);
        errors[k].hidden = false;
        inputs[k].setAttribute("aria-invalid", "true");
        inputs[k].setAttribute("aria-describedby", errors[k].id);
      }
      // The disabled button lost focus: go to the first field to fix.
      var bad = fm.querySelector("[aria-invalid]");
      if (bad) bad.focus();
    }

    function send() {
      var values = {};
      names.forEach(function (n) {
        values[n] = inputs[n].value;
      });
      fetch(leadsUrl, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          form_id: f.id,
          fields: values,
          consent: consent.checked,
          website: trap.value,
          form_token: token,
          page_url: location.href
        })
      })
        .then(function (r) {
          return r.json().then(function (j) {
            var thanks = j.message || f.thank_you || "Thank you!";
            if (r.ok) return box.replaceChild(el("p", "", thanks), fm);
            var e = j.error || {};
            if (e.code === "form_expired" && !retried) {
              // A cached form outlived its token: fetch a fresh one and send again.
              retried = true;
              return load(contentUrl, "reload").then(function (data) {
                token = (data.forms || []).filter(function (x) {
                  return x.id === f.id;
                })[0].form_token;
                setTimeout(send, 2500);
              });
            }
            done(e.message || "The form could not be sent.", e.fields || {});
          });
        })
        ["catch"](function () {
          done("The form could not be sent. Please try again.", {});
        });
    }

    fm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (button.disabled) return;
      for (var k in errors) {
        errors[k].hidden = true;
        inputs[k].removeAttribute("aria-invalid");
        inputs[k].removeAttribute("aria-describedby");
      }
      button.disabled = true;
      msg.textContent = "Sending\u2026";
      // The server refuses forms sent within ~2 s of their token; autofill can be that fast.
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
    try {
      // A constructed sheet, which a page's strict CSP style-src does not block.
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      add(root, el("style", "", CSS));
    }
    var wrap = add(root, el("div", "cb"));
    var theme = data.theme || {};
    var color = String(theme.primary_color);
    if (/^#[0-9a-f]{3}$/i.test(color)) color = color.replace(/[0-9a-f]/gi, "$&$&");
    if (!/^#[0-9a-f]{6}$/i.test(color)) color = "#1c5fb8";
    var n = parseInt(color.slice(1), 16);
    var light = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) > 160;
    wrap.style.setProperty("--p", color); // CSSOM, which a strict CSP allows
    wrap.style.setProperty("--t", light ? "#1d2433" : "#fff");
    var logo = img(theme.logo_url, theme.partner_name, "logo");
    if (logo) add(wrap, logo);
    var t = { url: safeUrl(data.events_url), queue: [], seen: {} };
    if (t.url) trackers.push(t);
    var lists = [data.banners, data.products, data.resources];
    [banners, products, resources].forEach(function (fn, i) {
      if (lists[i] && lists[i].length) add(wrap, fn(lists[i], t));
    });
    if (safeUrl(data.leads_url)) {
      (data.forms || []).forEach(function (f) {
        add(wrap, form(f, safeUrl(data.leads_url), url, ++count));
      });
    }
    fire(host, "cobrand:rendered", { key: data.key, version: VERSION });
  }

  function mount(script) {
    script.setAttribute(MARK, "");
    var key = script.getAttribute("data-embed");
    var host = doc.createElement("cobrand-embed");
    var parent = script.parentNode;
    // Right after the tag; at the end of the body when a tag manager put it in the head.
    if (parent && parent !== doc.head) parent.insertBefore(host, script.nextSibling);
    else (doc.body || doc.documentElement).appendChild(host);
    // The API is where the script came from, unless data-api names another base.
    var api = script.getAttribute("data-api");
    var base = api ? safeUrl(api) : safeUrl(script.src) && new URL(script.src).origin;
    var fail = function (why) {
      warn("embed " + JSON.stringify(key) + " not shown: " + why);
      fire(host, "cobrand:failed", { key: key });
    };
    if (!/^[\w-]{10,32}$/.test(key) || !base || !window.fetch || !host.attachShadow) {
      return fail("bad key, source or browser");
    }
    var url = base.replace(/\/+$/, "") + "/syndication/v1/embeds/" + key;
    load(url)
      .then(function (data) {
        render(host, data, url);
      })
      ["catch"](function (e) {
        if (host.shadowRoot) host.shadowRoot.replaceChildren(); // nothing half-drawn
        fail(e.message + " (unknown key, or this website is not allowed)");
      });
  }

  var all = [current].concat([].slice.call(doc.querySelectorAll("script[data-embed]")));
  all.forEach(function (s) {
    if (s && s.src && s.hasAttribute("data-embed") && !s.hasAttribute(MARK)) mount(s);
  });
})();

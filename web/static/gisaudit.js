/* gisaudit web map: sign-in token, lazy GeoJSON layers, synced maps, lead workflow form.
 * Served by gisaudit itself; talks only to the server it came from. */
(function () {
  "use strict";
  var G = {config: {style: {}, classNames: {}, severityLabels: {}}, layers: {}, pending: 0};
  var TOKEN_KEY = "gisaudit_token";

  G.init = function (config) { G.config = Object.assign(G.config, config || {}); };

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  G.esc = esc;

  function num(value, digits) {
    if (value === null || value === undefined || isNaN(value)) { return "—"; }
    return Number(value).toLocaleString("zh-CN", {minimumFractionDigits: digits,
                                                   maximumFractionDigits: digits});
  }
  G.num = num;

  /* ---- sign-in ------------------------------------------------------------------------- */
  G.token = function () {
    var stored = window.localStorage.getItem(TOKEN_KEY);
    if (stored) { return stored; }
    var m = document.cookie.match(new RegExp("(?:^|; )" + TOKEN_KEY + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  };
  G.saveToken = function (token, seconds) {
    window.localStorage.setItem(TOKEN_KEY, token);
    document.cookie = TOKEN_KEY + "=" + encodeURIComponent(token) + "; path=/; max-age=" +
      (seconds || 43200) + "; SameSite=Strict";
  };
  G.signOut = function () {
    window.localStorage.removeItem(TOKEN_KEY);
    document.cookie = TOKEN_KEY + "=; path=/; max-age=0; SameSite=Strict";
    window.location.href = "/login";
  };
  G.authFetch = function (url, options) {
    options = options || {};
    var headers = Object.assign({}, options.headers || {});
    if (G.token()) { headers.Authorization = "Bearer " + G.token(); }
    return fetch(url, Object.assign({}, options, {headers: headers, credentials: "same-origin"}));
  };

  G.login = function (form) {
    var message = form.querySelector(".form-message");
    var body = new URLSearchParams(new FormData(form));
    message.textContent = "正在登录…";
    fetch("/api/token", {method: "POST", body: body,
                         headers: {"Content-Type": "application/x-www-form-urlencoded"}})
      .then(function (r) { return r.json().then(function (data) { return [r, data]; }); })
      .then(function (pair) {
        var r = pair[0], data = pair[1];
        if (!r.ok || !data.access_token) {
          message.textContent = "登录失败：" + (data.detail || "用户名或密码错误。");
          message.className = "form-message error";
          return;
        }
        G.saveToken(data.access_token, data.expires_in);
        window.location.href = form.dataset.next || "/";
      })
      .catch(function () {
        message.textContent = "登录失败：无法连接服务器，请稍后重试。";
        message.className = "form-message error";
      });
    return false;
  };

  /* ---- layers -------------------------------------------------------------------------- */
  function themeStyle(key) {
    var colour = (G.config.style.themes || {})[key] || "#888";
    return function () {
      return {color: colour, weight: 0.6, fillColor: colour, fillOpacity: 0.55};
    };
  }
  function styleFor(kind) {
    var s = G.config.style;
    if (kind === "district") {
      return function () { return {color: s.outline || "#333", weight: 2, fill: false}; };
    }
    if (kind.indexOf("theme:") === 0) { return themeStyle(kind.slice(6)); }
    if (kind === "coast") {
      return function (f) {
        return {color: (s.coast || {})[f.properties.coast_class] || "#555", weight: 3};
      };
    }
    if (kind === "changes") {
      return function (f) {
        var c = (s.groups || {})[f.properties.to_group] || "#888";
        return {color: "#222", weight: 0.8, fillColor: c, fillOpacity: 0.75};
      };
    }
    if (kind.indexOf("zone:") === 0) {
      var z = (s.zones || {})[kind.slice(5)] || {};
      return function () {
        return {color: z.colour || "#555", weight: 2, dashArray: z.dash || null,
                fillColor: z.colour || "#555", fillOpacity: z.fill || 0.05};
      };
    }
    if (kind === "leads") {
      return function (f) {
        var c = (s.severity || {})[f.properties.severity] || "#d7301f";
        return {color: c, weight: 3, fillColor: c, fillOpacity: 0.3};
      };
    }
    return function () { return {}; };
  }

  function codeList(codes) {
    var names = G.config.classNames || {};
    var keys = Object.keys(codes || {}).sort(function (a, b) { return codes[b] - codes[a]; });
    if (!keys.length) { return "—"; }
    return keys.map(function (k) {
      return esc(k + " " + (names[k] || names[k.slice(0, 4)] || "")) + "（" +
        num(codes[k] / (10000 / 15), 2) + " 亩）";
    }).join("；");
  }

  G.leadPopup = function (p) {
    var sev = (G.config.severityLabels || {})[p.severity] || p.severity;
    var size = p.length_m !== null && p.length_m !== undefined && p.area_m2 === null
      ? "<tr><th>长度</th><td>" + num(p.length_m, 1) + " 米</td></tr>"
      : "<tr><th>面积</th><td>" + num(p.area_mu, 2) + " 亩（" + num(p.area_ha, 4) +
        " 公顷，" + num(p.area_m2, 0) + " 平方米）</td></tr>";
    var chips = ["before", "after"].map(function (k) {
      return '<figure class="chip"><img alt="' + (k === "before" ? "期初影像" : "期末影像") +
        '" data-auth-src="/api/leads/' + encodeURIComponent(p.id) + "/evidence/" + k +
        '.png"><figcaption>' + (k === "before" ? "期初" : "期末") + "</figcaption></figure>";
    }).join("");
    return '<div class="lead-popup" data-lead-id="' + esc(p.id) + '">' +
      '<h3 class="lead-name">' + esc(p.name) + "</h3>" +
      '<table class="kv">' +
      "<tr><th>规则</th><td>" + esc(p.rule) + "</td></tr>" +
      '<tr><th>严重程度</th><td class="sev-' + esc(p.severity) + '">' + esc(sev) + "</td></tr>" +
      size +
      '<tr><th>原地类</th><td class="from-codes">' + codeList(p.from_codes) + "</td></tr>" +
      '<tr><th>现地类</th><td class="to-codes">' + codeList(p.to_codes) + "</td></tr>" +
      "<tr><th>变化年度</th><td>" + esc(p.change_vintage || "—") + "</td></tr>" +
      '<tr><th>状态</th><td class="lead-state">' + esc(p.state) + "</td></tr>" +
      '<tr><th>法律依据</th><td class="legal">' + esc(p.legal_basis || "—") + "</td></tr>" +
      "</table>" + '<div class="chips">' + chips + "</div>" +
      '<p><a class="lead-link" href="/leads/' + encodeURIComponent(p.id) +
      '">查看详情、核查与整改 »</a></p></div>';
  };

  /* name a feature's SVG element (e.g. data-lead-id) so it can be found in the page */
  function mark(layer, attribute, value) {
    layer.on("add", function () {
      var el = layer.getElement && layer.getElement();
      if (el) { el.setAttribute(attribute, value); }
    });
  }

  function bindFeature(kind) {
    return function (feature, layer) {
      var p = feature.properties || {};
      if (kind.indexOf("theme:") === 0) {
        layer.bindTooltip(esc(p.code + " " + (p.name || "")), {sticky: true});
      } else if (kind === "changes") {
        layer.bindTooltip(esc(p.from_code + " " + p.from_name + " → " + p.to_code + " " +
          p.to_name) + "<br>" + num(p.area_m2 / (10000 / 15), 2) + " 亩", {sticky: true});
      } else if (kind === "coast") {
        layer.bindTooltip(esc(p.coast_type + "（" + (p.coast_label || "") + "）"), {sticky: true});
      } else if (kind.indexOf("zone:") === 0) {
        var z = (G.config.style.zones || {})[kind.slice(5)] || {};
        var text = z.label || kind;
        if (p.approval_date) { text += "（批准日期 " + p.approval_date + "）"; }
        layer.bindTooltip(esc(text), {sticky: true});
      } else if (kind === "leads") {
        layer.bindPopup(G.leadPopup(p), {maxWidth: 420, minWidth: 300});
        mark(layer, "data-lead-id", p.id);
      }
    };
  }

  G.lazyGeoJson = function (url, kind) {
    var layer = L.geoJSON(null, {
      style: styleFor(kind),
      interactive: kind !== "district",
      onEachFeature: bindFeature(kind),
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 6}); },
    });
    layer.gisauditState = "idle";
    layer.on("add", function () {
      if (layer.gisauditState !== "idle") { return; }
      layer.gisauditState = "loading";
      G.pending += 1;
      document.body.dataset.loading = String(G.pending);
      G.authFetch(url).then(function (r) {
        if (r.status === 401) { throw new Error("请先登录。"); }
        if (!r.ok) { throw new Error("图层读取失败（" + r.status + "）。"); }
        return r.json();
      }).then(function (data) {
        layer.addData(data);
        layer.gisauditState = "loaded";
      }).catch(function (err) {
        layer.gisauditState = "failed";
        G.notice(err.message);
      }).finally(function () {
        G.pending -= 1;
        document.body.dataset.loading = String(G.pending);
      });
    });
    layer.on("popupopen", function (e) { G.loadImages(e.popup.getElement()); });
    return layer;
  };

  /* ---- vector tiles (the API's /tiles/{layer}/{z}/{x}/{y}.mvt, decoded by mvt.js) ------ */
  function tileStyle(kind) {
    var s = G.config.style;
    if (kind.indexOf("theme:") === 0) {
      var colour = (s.themes || {})[kind.slice(6)] || "#888";
      return function () { return {stroke: colour, width: 0.6, fill: colour, alpha: 0.55}; };
    }
    if (kind === "district") {
      return function () { return {stroke: s.outline || "#333", width: 2, fill: null}; };
    }
    if (kind === "coast") {
      return function (p) {
        return {stroke: (s.coast || {})[p.coast_class] || "#555", width: 3, fill: null};
      };
    }
    if (kind === "changes") {
      return function (p) {
        return {stroke: "#222", width: 0.8, fill: (s.groups || {})[p.to_group] || "#888",
                alpha: 0.75};
      };
    }
    if (kind.indexOf("zone:") === 0) {
      var z = (s.zones || {})[kind.slice(5)] || {};
      var dash = String(z.dash || "").split(/[ ,]+/).filter(Boolean).map(Number);
      return function () {
        return {stroke: z.colour || "#555", width: 2, dash: dash, fill: z.colour || "#555",
                alpha: z.fill || 0.05};
      };
    }
    return function () { return {stroke: "#555", width: 1, fill: null}; };
  }

  /* which features of a tile to draw: a theme's land classes, one district */
  function tileFilter(kind, filter) {
    var codes = null;
    if (kind.indexOf("theme:") === 0) {
      codes = {};
      ((G.config.themeCodes || {})[kind.slice(6)] || []).forEach(function (c) { codes[c] = 1; });
    }
    return function (p) {
      if (codes && !codes[p.dlbm]) { return false; }
      if (filter && filter.district_code && p.district_code !== filter.district_code) {
        return false;
      }
      if (filter && filter.code && p.code !== filter.code) { return false; }
      return true;
    };
  }

  function featureKey(p) {
    return p.bsm !== undefined ? "bsm:" + p.bsm : JSON.stringify(p);
  }

  function drawTile(canvas, layer, scale, style, keep) {
    var ctx = canvas.getContext("2d"), keys = [];
    layer.features.forEach(function (f) {
      var p = f.properties;
      if (!keep(p) || !f.rings.length) { return; }
      var st = style(p), k = scale * canvas.width / layer.extent;
      ctx.beginPath();
      f.rings.forEach(function (ring) {
        ring.forEach(function (pt, i) {
          if (i === 0) { ctx.moveTo(pt[0] * k, pt[1] * k); } else { ctx.lineTo(pt[0] * k, pt[1] * k); }
        });
        if (f.type === 3) { ctx.closePath(); }
      });
      if (f.type === 3 && st.fill) {
        ctx.globalAlpha = st.alpha === undefined ? 1 : st.alpha;
        ctx.fillStyle = st.fill;
        ctx.fill("evenodd");
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = st.stroke;
      ctx.lineWidth = st.width * scale * (window.devicePixelRatio || 1);
      ctx.setLineDash((st.dash || []).map(function (d) { return d * (window.devicePixelRatio || 1); }));
      ctx.stroke();
      keys.push(featureKey(p));
    });
    return keys;
  }

  /* decoded tiles by URL, shared by the layers that draw the same tiles (the themes of one
     vintage, the district and the zones on both maps); the oldest are forgotten */
  var tileCache = new Map(), TILE_CACHE_SIZE = 400;
  function cached(src, what, decode) {
    if (tileCache.has(src)) { return tileCache.get(src); }
    var promise = G.authFetch(src).then(function (r) {
      if (r.status === 401) { throw new Error("请先登录。"); }
      if (!r.ok) { throw new Error(what + "读取失败（" + r.status + "）。"); }
      return decode(r);
    });
    promise.catch(function () { tileCache.delete(src); });
    tileCache.set(src, promise);
    if (tileCache.size > TILE_CACHE_SIZE) { tileCache.delete(tileCache.keys().next().value); }
    return promise;
  }
  function fetchTile(src) {
    return cached(src, "矢量瓦片", function (r) {
      return r.arrayBuffer().then(function (buf) { return window.gisauditMVT.decode(buf); });
    });
  }
  function fetchImage(src) {
    return cached(src, "概览瓦片", function (r) {
      return r.blob().then(function (blob) { return window.createImageBitmap(blob); });
    });
  }

  /* an overview tile (PNG, already coloured by land class) drawn with the layer's opacity */
  function drawImage(canvas, image, style) {
    var ctx = canvas.getContext("2d"), st = style({});
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = st.alpha === undefined ? 1 : st.alpha;
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    ctx.globalAlpha = 1;
  }

  /* A canvas GridLayer drawing one MVT layer; tiles are fetched with the page's sign-in
     (Authorization: Bearer). ``filter``: {district_code} or {code}; ``minNativeZoom``: the
     lowest zoom the server fills (land use: 9), lower zooms scale those tiles down.
     ``overview``: {url, max_zoom}: up to that zoom the layer draws the server's overview PNG
     tiles (land use by class at district scale, served at every zoom) instead of the MVT. */
  G.mvtLayer = function (url, kind, filter, minNativeZoom, overview) {
    var style = tileStyle(kind), keep = tileFilter(kind, filter || {});
    var Grid = L.GridLayer.extend({
      createTile: function (coords, done) {
        var tile = L.DomUtil.create("canvas", "leaflet-tile gisaudit-mvt");
        var size = this.getTileSize(), ratio = window.devicePixelRatio || 1;
        var raster = !!overview && coords.z <= overview.max_zoom;
        tile.width = size.x * ratio;
        tile.height = size.y * ratio;
        tile.gisauditKeys = [];
        tile.gisauditOverview = raster;
        var src = L.Util.template(raster ? overview.url : url,
                                  {z: coords.z, x: coords.x, y: coords.y});
        G.pending += 1;
        document.body.dataset.loading = String(G.pending);
        (raster ? fetchImage(src) : fetchTile(src)).then(function (data) {
          if (raster) {
            drawImage(tile, data, style);
            tile.dataset.overview = "1";
          } else {
            var name = Object.keys(data)[0];
            if (name) { tile.gisauditKeys = drawTile(tile, data[name], 1, style, keep); }
          }
          tile.dataset.features = String(tile.gisauditKeys.length);
          done(null, tile);
        }).catch(function (err) {
          G.notice(err.message);
          done(err, tile);
        }).finally(function () {
          G.pending -= 1;
          document.body.dataset.loading = String(G.pending);
        });
        return tile;
      },
    });
    var order = kind.indexOf("theme:") === 0 ? 1 : kind === "changes" ? 2 : kind === "district" ? 4 : 3;
    var layer = new Grid({minNativeZoom: overview ? 0 : minNativeZoom || 0, maxNativeZoom: 22,
                          zIndex: order,
                          className: "gisaudit-tiles kind-" + kind.replace(/[^a-z]/g, "-")});
    layer.gisauditKind = kind;
    return layer;
  };

  /* what a tile layer drew in the current view (for the page's tests): {tiles, overview (of
     them, overview PNG tiles), features (distinct vector features), keys} */
  G.tileStats = function (key, side) {
    var entry = (G.layers[key] || {})[side];
    if (!entry || !entry.layer._tiles || !entry.map.hasLayer(entry.layer)) {
      return {tiles: 0, overview: 0, features: 0, keys: []};
    }
    var seen = {}, tiles = 0, overview = 0;
    Object.keys(entry.layer._tiles).forEach(function (k) {
      var t = entry.layer._tiles[k];
      if (!t.current || !t.el.gisauditKeys) { return; }
      tiles += 1;
      if (t.el.gisauditOverview) { overview += 1; }
      t.el.gisauditKeys.forEach(function (f) { seen[f] = 1; });
    });
    return {tiles: tiles, overview: overview, features: Object.keys(seen).length,
            keys: Object.keys(seen)};
  };

  G.register = function (key, side, map, layer, show) {
    G.layers[key] = G.layers[key] || {};
    G.layers[key][side] = {map: map, layer: layer};
    if (!show) { return; }
    if (layer instanceof L.GridLayer) {
      /* tiles: once the page has laid out and fitted the maps, so that only the tiles of the
         final view are fetched */
      G.pending += 1;
      document.body.dataset.loading = String(G.pending);
      window.setTimeout(function () {
        G.pending -= 1;
        var entry = G.layers[key][side];
        if (entry.layer === layer && !entry.hidden) { layer.addTo(map); }
        document.body.dataset.loading = String(G.pending);
      }, 0);
    } else {
      layer.addTo(map);
    }
  };
  G.toggle = function (key, on) {
    var sides = G.layers[key] || {};
    Object.keys(sides).forEach(function (side) {
      var entry = sides[side];
      entry.hidden = !on;
      if (on) { entry.layer.addTo(entry.map); } else { entry.map.removeLayer(entry.layer); }
    });
  };
  G.showTheme = function (theme) {
    Object.keys(G.layers).forEach(function (key) {
      if (key.indexOf("theme_") === 0) { G.toggle(key, key === "theme_" + theme); }
    });
  };

  G.sync = function (a, b) {
    var busy = false;
    function follow(source, target) {
      source.on("move zoom", function () {
        if (busy) { return; }
        busy = true;
        target.setView(source.getCenter(), source.getZoom(), {animate: false});
        busy = false;
      });
    }
    follow(a, b);
    follow(b, a);
  };

  /* ---- overview ------------------------------------------------------------------------ */
  G.districts = [];
  G.districtClick = function (feature, layer) {
    G.districts.push(layer);
    mark(layer, "data-code", feature.properties.code);
    layer.on("click", function () {
      if (feature.properties.url) { window.location.href = feature.properties.url; }
    });
  };
  G.colourBy = function (indicator) {
    var s = G.config.style, ramp = G.config.scoreRamp || [], noData = G.config.noData || "#ccc";
    G.districts.forEach(function (l) {
      var p = l.feature.properties, colour;
      if (!indicator) {
        colour = p.fill;
      } else {
        var v = (p.scores || {})[indicator];
        colour = v === null || v === undefined ? noData
          : ramp[Math.round(Math.max(0, Math.min(100, v)) / 100 * (ramp.length - 1))];
      }
      l.setStyle({fillColor: colour, color: s.outline || "#333"});
    });
    document.querySelectorAll(".legend-grade").forEach(function (el) { el.hidden = !!indicator; });
    document.querySelectorAll(".legend-score").forEach(function (el) { el.hidden = !indicator; });
  };

  /* ---- images and downloads that need the sign-in -------------------------------------- */
  G.loadImages = function (root) {
    (root || document).querySelectorAll("img[data-auth-src]").forEach(function (img) {
      var url = img.getAttribute("data-auth-src");
      img.removeAttribute("data-auth-src");
      G.authFetch(url).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.blob();
      }).then(function (blob) {
        img.src = URL.createObjectURL(blob);
      }).catch(function () {
        var fig = img.closest("figure") || img;
        fig.classList.add("missing");
        fig.setAttribute("title", "无影像（数据包未提供影像）");
      });
    });
  };
  G.download = function (link) {
    G.authFetch(link.getAttribute("data-auth-href")).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (d) {
          throw new Error(d.detail || ("下载失败（" + r.status + "）。"));
        });
      }
      return r.blob();
    }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = link.dataset.filename || "";
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (err) { G.notice(err.message); });
    return false;
  };

  G.notice = function (text) {
    var box = document.getElementById("notice");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = !text;
  };

  /* ---- lead workflow ------------------------------------------------------------------- */
  var REFUSED = {
    401: "请先登录后再操作。",
    403: "您没有权限进行此操作：",
    404: "未找到该疑点，或该疑点不属于您负责的区。",
    409: "流程不允许此变更：",
    412: "该疑点已被他人修改，您的修改未保存。请刷新页面后重新操作。",
    422: "提交的内容不完整：",
    428: "提交缺少版本信息，请刷新页面后重新操作。",
  };
  G.changeState = function (form) {
    var message = form.querySelector(".form-message");
    var data = new FormData(form);
    var body = {to: data.get("to")};
    ["reason", "deadline", "note"].forEach(function (k) {
      var v = (data.get(k) || "").trim();
      if (v) { body[k] = v; }
    });
    message.className = "form-message";
    message.textContent = "正在提交…";
    G.authFetch(form.dataset.url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "If-Match": '"' + form.dataset.version + '"'},
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) { return [r, d]; });
    }).then(function (pair) {
      var r = pair[0], d = pair[1];
      if (r.ok) {
        message.textContent = "已保存：疑点状态变为“" + (d.state || "") + "”。";
        message.className = "form-message ok";
        window.setTimeout(function () { window.location.reload(); }, 400);
        return;
      }
      var head = REFUSED[r.status] || ("操作失败（" + r.status + "）：");
      var detail = typeof d.detail === "string" ? d.detail : "";
      var text = head;
      if (r.status === 412) {
        text = head + (detail ? "（" + detail + "）" : "");
      } else if (r.status !== 401 && r.status !== 404 && r.status !== 428) {
        text = head + detail;
      }
      message.textContent = text;
      message.className = "form-message error";
      message.dataset.status = String(r.status);
    }).catch(function () {
      message.textContent = "提交失败：无法连接服务器，请稍后重试。";
      message.className = "form-message error";
    });
    return false;
  };
  G.requireFields = function (select) {
    var opt = select.options[select.selectedIndex];
    var form = select.form;
    var needs = (opt && opt.dataset.requires || "").split(",");
    form.querySelector("[name=reason]").required = needs.indexOf("reason") >= 0;
    form.querySelector("[name=deadline]").required = needs.indexOf("deadline") >= 0;
    form.querySelectorAll("[data-needs]").forEach(function (el) {
      el.classList.toggle("needed", needs.indexOf(el.dataset.needs) >= 0);
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    G.loadImages(document);
  });

  window.gisaudit = G;
})();

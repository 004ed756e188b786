// The playground page: controls, the stream of frames from the server, and the drawings.
//
// The server trains; this page only sends settings and commands (HTTP), receives frames
// (one WebSocket per tab) and draws them. window.valuegradPlayground is the page's API:
// state() -> {epoch, trainLoss, testLoss, testAccuracy, running}, set({...}) -> Promise.
"use strict";

(function () {
  const ORANGE = [245, 147, 34], GREY = [232, 234, 235], BLUE = [8, 119, 189];
  const SHADES = 30; // the Playground draws its heatmaps in 30 shades
  const NODE = 30, NODE_GAP = 25;

  // ------------------------------------------------------------------ state
  let sid = null, ws = null, settings = null, limits = null;
  let frame = null, data = null, closing = false;
  let history = { trainLoss: [], testLoss: [] };
  const $ = (id) => document.getElementById(id);

  // setting name -> control id (the names are the server's and the URL's)
  const CONTROLS = {
    dataset: "dataset", noise: "noise", lr: "lr", mode: "mode", batchSize: "batch-size",
    activation: "activation", layers: "layers", seed: "seed", optimizer: "optimizer",
    l2: "l2", trainPercent: "train-percent", points: "points",
  };
  const NUMERIC = new Set(["noise", "lr", "batchSize", "seed", "l2", "trainPercent", "points"]);

  // ------------------------------------------------------------------ colours
  function shade(v) {
    // v in [-1, 1]: orange -> grey -> blue, quantised to SHADES steps like the Playground
    const t = Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * SHADES) / SHADES;
    const [a, b, u] = t < 0.5 ? [ORANGE, GREY, t * 2] : [GREY, BLUE, (t - 0.5) * 2];
    return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * u));
  }
  const css = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  const CLASS_COLOUR = [css(ORANGE), css(BLUE)];

  function decode(b64) {
    // bytes 0..255 stand for [-1, 1]
    const raw = atob(b64), out = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i) / 127.5 - 1;
    return out;
  }

  function paintHeatmap(canvas, values, k) {
    const img = new ImageData(k, k);
    for (let i = 0; i < k * k; i++) {
      const c = shade(values[i]);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    const tmp = document.createElement("canvas");
    tmp.width = k; tmp.height = k;
    tmp.getContext("2d").putImageData(img, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
  }

  // ------------------------------------------------------------------ messages
  function showMessage(text, kind) {
    const box = $("message");
    if (!text) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = text;
    box.className = kind === "note" ? "note" : "";
    box.hidden = false;
  }

  async function api(path, options) {
    const res = await fetch(`/api/sessions/${sid}${path}`, options);
    const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (!res.ok) {
      const err = new Error(body.error || `HTTP ${res.status}`);
      err.status = res.status; err.body = body;
      throw err;
    }
    return body;
  }

  function post(path, payload) {
    return api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: payload === undefined ? "" : JSON.stringify(payload),
    });
  }

  function failed(err) {
    showMessage(err.message || String(err));
    if (settings) fillControls(settings); // the controls show what the server runs
    return Promise.reject(err);
  }

  // ------------------------------------------------------------------ URL <-> settings
  function settingsToHash(s) {
    const p = new URLSearchParams();
    for (const name of Object.keys(CONTROLS)) {
      p.set(name, name === "layers" ? s.layers.join(",") : String(s[name]));
    }
    if (s.added && s.added.length) {
      p.set("added", s.added.map((q) => `${+q[0].toFixed(4)}:${+q[1].toFixed(4)}:${q[2]}`).join(";"));
    }
    return p.toString();
  }

  function hashToSettings() {
    const p = new URLSearchParams(location.hash.slice(1));
    const out = {};
    for (const [name, value] of p) {
      if (name === "added") {
        out.added = value.split(";").filter(Boolean).map((t) => t.split(":").map(Number));
      } else if (name === "layers") {
        out.layers = value;
      } else if (name in CONTROLS) {
        out[name] = NUMERIC.has(name) ? Number(value) : value;
      }
    }
    if (out.dataset === "custom") delete out.dataset; // an upload is not in the link
    return out;
  }

  function remember(state) {
    if (state && state.settings) {
      settings = state.settings;
      window.history.replaceState(null, "", "#" + settingsToHash(settings));
      fillControls(settings);
    }
    $("download-model").href = `/api/sessions/${sid}/model`;
    $("download-history").href = `/api/sessions/${sid}/history`;
  }

  function fillControls(s) {
    for (const [name, id] of Object.entries(CONTROLS)) {
      const el = $(id);
      const v = name === "layers" ? s.layers.join(",") : String(s[name]);
      if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === v)) {
        el.add(new Option(v, v)); // e.g. a learning rate from a link that the list lacks
      }
      if (document.activeElement !== el || el.tagName === "SELECT") el.value = v;
    }
    $("noise-value").textContent = s.noise;
    $("train-percent-value").textContent = s.trainPercent;
    $("layer-count").textContent = s.layers.length;
  }

  // ------------------------------------------------------------------ commands
  function setSettings(changes) {
    return post("/settings", changes).then((state) => { showMessage(null); remember(state); return state; }, failed);
  }

  function readControl(name) {
    const el = $(CONTROLS[name]);
    if (name === "layers") return el.value;
    if (NUMERIC.has(name)) return el.value.trim() === "" ? el.value : Number(el.value);
    return el.value;
  }

  function command(cmd) {
    return post(`/${cmd}`).then((state) => { showMessage(null); showRunning(state.running); return state; }, failed);
  }

  function showRunning(running) {
    $("play").hidden = running;
    $("pause").hidden = !running;
  }

  function changeLayers(f) {
    const layers = f(settings.layers.slice());
    return setSettings({ layers });
  }

  // ------------------------------------------------------------------ the stream
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/api/sessions/${sid}/ws`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "frame") onFrame(msg);
      else if (msg.type === "data") { data = msg; drawBoundary(); }
      else if (msg.type === "error") showMessage(msg.error);
    };
    ws.onclose = () => {
      if (!closing) showMessage("The connection to the server closed; reload the page to start a new session.");
    };
    // keep the session alive while the tab is open (the server expires idle sessions)
    setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}'); }, 30000);
  }

  function onFrame(f) {
    const prev = frame;
    frame = f;
    if (f.historyFrom === 0 || !prev || prev.run !== f.run) history = { trainLoss: [], testLoss: [] };
    history.trainLoss.push(...f.history.trainLoss);
    history.testLoss.push(...f.history.testLoss);
    $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    $("train-loss").textContent = f.trainLoss.toFixed(3);
    $("test-loss").textContent = f.testLoss.toFixed(3);
    $("test-accuracy").textContent = (100 * f.testAccuracy).toFixed(1) + "%";
    showRunning(f.running);
    if (f.error) showMessage(f.error);
    else if (f.note) showMessage(f.note, "note");
    settings = f.settings; // what the server runs
    $("layer-count").textContent = settings.layers.length;
    drawChart();
    drawBoundary();
    drawNetwork();
  }

  // ------------------------------------------------------------------ drawings
  function drawChart() {
    const c = $("chart"), ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const n = history.trainLoss.length;
    if (n < 2) return;
    const top = Math.max(...history.trainLoss, ...history.testLoss) || 1;
    const stride = Math.max(1, Math.ceil(n / c.width));
    for (const [series, colour] of [[history.testLoss, "#999"], [history.trainLoss, "#000"]]) {
      ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.beginPath();
      for (let i = 0; i < n; i += stride) {
        const x = (i / (n - 1)) * (c.width - 2) + 1, y = c.height - 2 - (series[i] / top) * (c.height - 4);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
  }

  function toCanvas(domain, canvas, x, y) {
    const [x0, x1, y0, y1] = domain;
    return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
  }

  function drawBoundary() {
    const c = $("boundary"), ctx = c.getContext("2d");
    if (frame) paintHeatmap(c, decode(frame.picture.boundary), frame.picture.grid);
    else { ctx.fillStyle = css(GREY); ctx.fillRect(0, 0, c.width, c.height); }
    if (!data || !frame) return;
    const domain = frame.picture.domain;
    const sets = [[data.train, "#fff"]];
    if ($("show-test").checked) sets.push([data.test, "#222"]);
    for (const [points, outline] of sets) {
      ctx.strokeStyle = outline; ctx.lineWidth = 1;
      for (const [x, y, label] of points) {
        const [px, py] = toCanvas(domain, c, x, y);
        ctx.beginPath(); ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = CLASS_COLOUR[label]; ctx.fill(); ctx.stroke();
      }
    }
  }

  function linkWidth(w) { return 1 + (9 * Math.min(Math.abs(w), 5)) / 5; } // the Playground's [0, 5] -> [1, 10]

  function drawNetwork() {
    const box = $("network");
    const pic = frame.picture;
    box.textContent = "";
    const columns = [[{ heatmap: pic.inputs[0], name: "x\u2081" }, { heatmap: pic.inputs[1], name: "x\u2082" }]];
    pic.layers.forEach((layer) => columns.push(layer.neurons));
    const width = Math.max(box.clientWidth, 420), height = box.clientHeight;
    const colX = (k) => 30 + (k * (width - 90)) / (columns.length - 1);
    const rowY = (j) => 40 + j * (NODE + NODE_GAP);
    const svgNS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("class", "links");
    svg.setAttribute("width", width); svg.setAttribute("height", height);
    box.appendChild(svg);
    for (let k = 1; k < columns.length; k++) {
      columns[k].forEach((neuron, j) => {
        neuron.weights.forEach((w, i) => {
          const x0 = colX(k - 1) + NODE, y0 = rowY(i) + NODE / 2, x1 = colX(k), y1 = rowY(j) + NODE / 2;
          const path = document.createElementNS(svgNS, "path");
          const mx = (x0 + x1) / 2;
          path.setAttribute("d", `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`);
          path.setAttribute("fill", "none");
          path.setAttribute("stroke", css(shade(w)));
          path.setAttribute("stroke-width", linkWidth(w).toFixed(2));
          path.setAttribute("stroke-opacity", "0.85");
          const title = document.createElementNS(svgNS, "title");
          title.textContent = `weight ${w}`;
          path.appendChild(title);
          svg.appendChild(path);
        });
      });
    }
    const last = columns.length - 1;
    columns.forEach((col, k) => {
      col.forEach((neuron, j) => {
        const node = document.createElement("div");
        node.className = "node" + (neuron.dead ? " dead" : "");
        node.dataset.testid = k === 0 ? "input" : k === last ? "output-neuron" : "neuron";
        node.style.left = colX(k) + "px"; node.style.top = rowY(j) + "px";
        const cv = document.createElement("canvas");
        cv.width = 28; cv.height = 28;
        node.appendChild(cv);
        paintHeatmap(cv, decode(neuron.heatmap), pic.neuronGrid);
        if (k > 0) {
          const b = document.createElement("div");
          b.className = "bias"; b.style.background = css(shade(neuron.bias));
          node.appendChild(b);
          node.title = (neuron.dead ? "dead ReLU: 0 on every training point, so no gradient reaches it. " : "") +
            `bias ${neuron.bias}`;
        }
        box.appendChild(node);
        const name = neuron.name || (k === last ? `class ${j}` : "");
        if (name) {
          const label = document.createElement("div");
          label.className = "node-label";
          label.textContent = name;
          label.style.left = (k === 0 ? colX(k) - 22 : colX(k) + NODE + 6) + "px";
          label.style.top = rowY(j) + 8 + "px";
          box.appendChild(label);
        }
      });
      if (k > 0 && k < last) addLayerButtons(box, k - 1, colX(k) - 15);
    });
    const header = (text, k) => {
      const h = document.createElement("div");
      h.className = "layer-buttons"; h.textContent = text;
      h.style.left = colX(k) - 15 + "px"; h.style.top = "0px";
      box.appendChild(h);
    };
    header("features", 0);
    header("output", last);
  }

  function addLayerButtons(box, layer, left) {
    const div = document.createElement("div");
    div.className = "layer-buttons";
    div.style.left = left + "px"; div.style.top = "0px";
    const plus = document.createElement("button"), minus = document.createElement("button");
    plus.textContent = "+"; minus.textContent = "\u2212";
    plus.dataset.testid = `add-neuron-${layer}`; minus.dataset.testid = `remove-neuron-${layer}`;
    plus.onclick = () => changeLayers((l) => { l[layer] += 1; return l; }).catch(() => {});
    minus.onclick = () => changeLayers((l) => { l[layer] -= 1; return l; }).catch(() => {});
    div.append(plus, " ", minus);
    const n = document.createElement("div");
    n.textContent = `${settings ? settings.layers[layer] : ""} neurons`;
    div.appendChild(n);
    box.appendChild(div);
  }

  // ------------------------------------------------------------------ clicks on the plane
  function onPlaneClick(ev) {
    if (!frame) return;
    const c = $("boundary"), r = c.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * c.width, py = ((ev.clientY - r.top) / r.height) * c.height;
    const [x0, x1, y0, y1] = frame.picture.domain;
    const x = x0 + (px / c.width) * (x1 - x0), y = y1 - (py / c.height) * (y1 - y0);
    const cls = Number($("add-class").value);
    if ($("click-mode").value === "add") {
      post("/points", { points: [[x, y, cls]] }).then((s) => { showMessage(null); remember(s); }, failed).catch(() => {});
      return;
    }
    // the nearest drawn data point within 6 pixels, else the empty spot itself
    let best = null, bestD = 6;
    if (data) {
      const pools = [data.train].concat($("show-test").checked ? [data.test] : []);
      for (const pts of pools) {
        for (const q of pts) {
          const [qx, qy] = toCanvas(frame.picture.domain, c, q[0], q[1]);
          const d = Math.hypot(qx - px, qy - py);
          if (d < bestD) { best = q; bestD = d; }
        }
      }
    }
    if (best) openExplain(best[0], best[1], best[2], "this data point");
    else openExplain(x, y, cls, `an empty spot: the loss if it were of class ${cls} (the class chosen under "add a point")`);
  }

  function openExplain(x, y, label, what) {
    const q = new URLSearchParams({ x: String(x), y: String(y), label: String(label) });
    $("explain-title").textContent = `The graph of ${what} at (${x.toFixed(3)}, ${y.toFixed(3)}), label ${label}`;
    $("explain-frame").src = `/api/sessions/${sid}/explain?${q}`;
    $("explain-panel").hidden = false;
  }

  // ------------------------------------------------------------------ wiring
  function wire() {
    for (const [name, id] of Object.entries(CONTROLS)) {
      $(id).addEventListener("change", () => setSettings({ [name]: readControl(name) }).catch(() => {}));
    }
    $("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value; });
    $("train-percent").addEventListener("input", () => { $("train-percent-value").textContent = $("train-percent").value; });
    $("play").onclick = () => command("play").catch(() => {});
    $("pause").onclick = () => command("pause").catch(() => {});
    $("step").onclick = () => command("step").catch(() => {});
    $("reset").onclick = () => command("reset").catch(() => {});
    $("add-layer").onclick = () => changeLayers((l) => { l.push(l.length ? l[l.length - 1] : 2); return l; }).catch(() => {});
    $("remove-layer").onclick = () => changeLayers((l) => { l.pop(); return l; }).catch(() => {});
    $("boundary").addEventListener("click", onPlaneClick);
    $("show-test").addEventListener("change", drawBoundary);
    $("explain-close").onclick = () => { $("explain-panel").hidden = true; $("explain-frame").src = "about:blank"; };
    $("csv").addEventListener("change", async () => {
      const file = $("csv").files[0];
      if (!file) return;
      if (limits && file.size > limits.max_upload_bytes) {
        showMessage(`The file has ${file.size} bytes, more than the limit of ${limits.max_upload_bytes}.`);
        return;
      }
      const text = await file.text();
      api("/csv", { method: "POST", headers: { "Content-Type": "text/csv" }, body: text })
        .then((s) => { showMessage(null); remember(s); }, failed).catch(() => {});
      $("csv").value = "";
    });
    window.addEventListener("beforeunload", () => { closing = true; });
  }

  function sayBounds(l) {
    $("bounds").textContent =
      `Bounds: ${l.max_sessions} sessions (tabs) at once; a session without an open page expires after ` +
      `${l.idle_timeout} s; ${l.min_points} to ${l.max_points} points per data set; up to ${l.max_hidden_layers} ` +
      `hidden layers of 1 to ${l.max_width} neurons; CSV uploads up to ${l.max_upload_bytes / 1024} KiB; ` +
      `${l.max_epochs.toLocaleString("en")} epochs per run. Training runs on valuegrad's compiled engine.`;
  }

  async function start() {
    wire();
    limits = await (await fetch("/api/limits")).json();
    sayBounds(limits);
    let res = await fetch("/api/sessions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(hashToSettings()) });
    let body = await res.json();
    if (res.status === 422 || res.status === 400) {
      showMessage(`The link's settings were refused: ${body.error}. Starting with the defaults.`);
      res = await fetch("/api/sessions", { method: "POST", body: "{}" });
      body = await res.json();
    }
    if (!res.ok) { showMessage(body.error || `HTTP ${res.status}`); return; }
    sid = body.id;
    remember(body);
    connect();
  }

  window.valuegradPlayground = {
    state() {
      if (!frame) return { epoch: 0, trainLoss: null, testLoss: null, testAccuracy: null, running: false };
      return { epoch: frame.epoch, trainLoss: frame.trainLoss, testLoss: frame.testLoss, testAccuracy: frame.testAccuracy, running: frame.running };
    },
    set(changes) {
      const out = {};
      for (const [name, value] of Object.entries(changes)) {
        if (!(name in CONTROLS)) return Promise.reject(new Error(`unknown setting ${name}`));
        out[name] = value;
        const el = $(CONTROLS[name]);
        el.value = Array.isArray(value) ? value.join(",") : String(value);
      }
      return setSettings(out);
    },
    session() { return sid; },
    settings() { return settings; },
    data() { return data; },
    explain(x, y, label) { openExplain(x, y, label, "a chosen input"); },
    play() { return command("play"); },
    pause() { return command("pause"); },
    step() { return command("step"); },
    reset() { return command("reset"); },
  };

  document.addEventListener("DOMContentLoaded", () => {
    start().catch((err) => showMessage(`The playground could not start: ${err.message}`));
  });
})();

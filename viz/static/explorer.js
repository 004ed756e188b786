/* valuegrad's backward explorer: plays back the engine's walk over a Graphviz drawing.
 *
 * Every explorer on the page is a div of class vg-explorer holding the SVG that dot
 * drew and, in a JSON script element of class vg-data, the steps that
 * viz/explore.py computed from viz.trace. This script never computes a number: it
 * shows, for the current step, which nodes have their data and gradient, highlights
 * the node and edge of the step, and prints the step's chain-rule line.
 *
 * Public: window.valuegradExplorers (every explorer, in page order) and
 * window.valuegradExplorer (the first), each with next(), prev(), reset(), goto(i),
 * play(), pause() and state() -> {step, steps, phase, nodes: [{id, label, data, grad}]}.
 */
(function () {
  "use strict";

  if (window.valuegradExplorers) return; // the script was inlined twice: once is enough
  window.valuegradExplorers = [];

  const SVGNS = "http://www.w3.org/2000/svg";
  const DRAG_THRESHOLD = 4; // pixels before a press becomes a pan rather than a click

  function titleOf(g) {
    const t = g.querySelector(":scope > title");
    return t ? t.textContent : "";
  }

  function make(tag, attrs, text) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function Explorer(root) {
    const data = JSON.parse(root.querySelector("script.vg-data").textContent);
    const nodes = data.nodes;
    const steps = data.steps;
    const total = steps.length;
    const q = (id) => root.querySelector(`[data-testid="${id}"]`);
    const ui = {
      prev: q("prev"), next: q("next"), play: q("play"), reset: q("reset"),
      speed: q("speed"), slider: q("slider"), counter: q("counter"), phase: q("phase"),
      panel: q("panel"), formula: q("formula"), details: q("details"),
      leaves: root.querySelector(".vg-leaves table"), graph: q("graph"),
    };
    const svg = ui.graph.querySelector("svg");
    const scene = svg.querySelector("g.graph");

    // ------------------------------------------------------------ the drawing
    const shape = {}; // DOT name -> <g class="node">
    for (const g of svg.querySelectorAll("g.node")) shape[titleOf(g)] = g;
    const edges = {}; // "a->b" -> [<g class="edge">] in the order dot numbered them
    for (const g of svg.querySelectorAll("g.edge")) (edges[titleOf(g)] ||= []).push(g);
    const edgeNumber = (g) => Number((g.id || "").replace(/\D/g, "")) || 0;
    for (const list of Object.values(edges)) list.sort((a, b) => edgeNumber(a) - edgeNumber(b));

    // The text fields of a record (or box) that show data and grad.
    function fields(g) {
      const texts = [...g.querySelectorAll("text")];
      const grad = texts.filter((t) => t.textContent.startsWith("grad ")).pop() || null;
      const rest = grad ? texts.slice(0, texts.indexOf(grad)) : texts;
      const data = rest.filter((t) => /(^|: )data /.test(t.textContent)).pop() || null;
      return { data, grad };
    }
    const recordFields = {};
    for (const [name, g] of Object.entries(shape)) {
      if (!name.endsWith("_op")) recordFields[name] = fields(g);
    }
    // dot sized each field for the text it drew; a longer number is squeezed into it.
    const room = new Map();
    for (const f of Object.values(recordFields)) {
      for (const t of [f.data, f.grad]) {
        if (t) room.set(t, { chars: t.textContent.length, width: t.getComputedTextLength() });
      }
    }

    // Clusters: a cover box hides each closed one; it shows the call's output values.
    const clusterOf = {}; // DOT name -> cluster index
    const clusters = data.clusters.map((c, k) => {
      const g = [...svg.querySelectorAll("g.cluster")].find((el) => titleOf(el) === c.name);
      for (const m of c.members) clusterOf[m] = k;
      const label = g ? [...g.querySelectorAll("text")].map((t) => t.textContent).join(" ") : c.name;
      return { ...c, g, label, open: data.expanded, cover: g ? makeCover(g, label, k) : null };
    });
    const clusterOfNode = nodes.map((n) => (n.el in clusterOf ? clusterOf[n.el] : -1));

    // The cluster's frame from the numbers of its outline (not getBBox(), which is 0
    // while the page is hidden, as in a closed notebook tab).
    function frameOf(g) {
      const outline = g.querySelector(":scope > path, :scope > polygon, :scope > rect");
      if (outline && outline.tagName === "rect") {
        const [x, y, width, height] = ["x", "y", "width", "height"].map((a) => Number(outline.getAttribute(a)));
        return { x, y, width, height };
      }
      const text = outline ? outline.getAttribute("d") || outline.getAttribute("points") || "" : "";
      const v = (text.match(/-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/gi) || []).map(Number);
      const xs = v.filter((_, k) => k % 2 === 0);
      const ys = v.filter((_, k) => k % 2 === 1);
      if (!xs.length) return { x: 0, y: 0, width: 0, height: 0 };
      const x = Math.min(...xs);
      const y = Math.min(...ys);
      return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
    }

    function makeCover(g, label, k) {
      const box = frameOf(g);
      const cover = document.createElementNS(SVGNS, "g");
      cover.setAttribute("class", "vg-cover");
      cover.setAttribute("data-cluster", String(k));
      const rect = document.createElementNS(SVGNS, "rect");
      for (const [a, v] of [["x", box.x], ["y", box.y], ["width", box.width],
        ["height", box.height], ["rx", 6]]) rect.setAttribute(a, v);
      cover.appendChild(rect);
      const lines = [label, "", "", "click to open"];
      const size = Math.max(8, Math.min(14, box.height / 5.5));
      cover.texts = lines.map((line, i) => {
        const t = document.createElementNS(SVGNS, "text");
        t.setAttribute("x", box.x + 8);
        t.setAttribute("y", box.y + box.height / 2 + (i - 1.2) * size * 1.2);
        t.setAttribute("font-size", size);
        t.textContent = line;
        cover.appendChild(t);
        return t;
      });
      const title = document.createElementNS(SVGNS, "title");
      title.textContent = label;
      cover.appendChild(title);
      scene.appendChild(cover);
      return cover;
    }

    const boxes = {};
    for (const b of data.boxes) boxes[b.id] = b;

    // ------------------------------------------------------------ the walk
    let step = 0;
    let current = { data: [], grad: [], grad4: [] };
    let selected = -1;
    let timer = null;

    // The state after the first s steps: replayed from the start (a few thousand
    // steps at most, so this is instant), which keeps goto() trivially right.
    function replay(s) {
      const d = new Array(nodes.length).fill(null);
      const g = new Array(nodes.length).fill(null);
      const g4 = new Array(nodes.length).fill(null);
      for (let k = 0; k < s; k++) {
        const st = steps[k];
        if (st.phase === "forward") d[st.node] = nodes[st.node].data;
        else { g[st.node] = st.grad; g4[st.node] = st.grad4; }
      }
      return { data: d, grad: g, grad4: g4 };
    }

    function phaseOf(s) {
      if (s >= total) return "done";
      return s <= data.forward ? "forward" : "backward";
    }

    // The step that completes node i's gradient (its last contribution), or its
    // forward step for a node whose gradient is not shown (a constant).
    const gradStep = nodes.map((n, i) => i + 1);
    steps.forEach((st, k) => { if (st.phase === "backward") gradStep[st.node] = k + 1; });

    // -------------------------------------------------------------- drawing
    function visibleShape(i) {
      const name = nodes[i].el;
      if (name === null) return null;
      const c = clusterOfNode[i];
      if (c >= 0 && !clusters[c].open && clusters[c].cover) return clusters[c].cover;
      return shape[name] || null;
    }

    function setText(el, text) {
      if (!el || el.textContent === text) return;
      el.textContent = text;
      const r = room.get(el);
      if (!r || !r.width) return;
      if (text.length > r.chars) {
        el.setAttribute("textLength", r.width);
        el.setAttribute("lengthAdjust", "spacingAndGlyphs");
      } else {
        el.removeAttribute("textLength");
      }
    }

    function values(list, pick) {
      const shown = list.slice(0, 3).map(pick);
      return shown.join(", ") + (list.length > 3 ? ", \u2026" : "");
    }

    function outputsText(outputs) {
      if (!outputs.length) return ["", ""];
      const d = values(outputs, (i) => (current.data[i] === null ? "?" : nodes[i].data4));
      const g = values(outputs, (i) => (current.grad4[i] === null ? "?" : current.grad4[i]));
      const head = outputs.length === 1 ? "" : `${outputs.length} outputs: `;
      return [`${head}data ${d}`, `grad ${g}`];
    }

    function drawValues() {
      nodes.forEach((n, i) => {
        const name = n.el;
        if (name === null || !(name in shape) || boxes[name]) return;
        const f = recordFields[name];
        if (f) {
          setText(f.data, current.data[i] === null ? "data ?" : `data ${n.data4}`);
          setText(f.grad, current.grad4[i] === null ? "grad ?" : `grad ${current.grad4[i]}`);
        }
        const pending = current.data[i] === null;
        shape[name].classList.toggle("vg-pending", pending);
        if (shape[`${name}_op`]) shape[`${name}_op`].classList.toggle("vg-pending", pending);
      });
      for (const b of Object.values(boxes)) {
        const g = shape[b.id];
        if (!g) continue;
        const [d, gr] = outputsText(b.outputs);
        const f = recordFields[b.id];
        setText(f.data, d);
        setText(f.grad, gr);
        g.classList.toggle("vg-pending", b.outputs.some((i) => current.data[i] === null));
      }
      for (const c of clusters) {
        if (!c.cover) continue;
        const [d, g] = outputsText(c.outputs);
        setText(c.cover.texts[1], d);
        setText(c.cover.texts[2], g);
      }
    }

    function drawClusters() {
      clusters.forEach((c) => {
        if (!c.cover) return;
        c.cover.style.display = c.open ? "none" : "";
        for (const m of c.members) if (shape[m]) shape[m].classList.toggle("vg-hidden", !c.open);
        c.g.classList.toggle("vg-open", c.open);
      });
      for (const [title, list] of Object.entries(edges)) {
        const [a, b] = title.split("->");
        const hidden = a in clusterOf && clusterOf[a] === clusterOf[b] && !clusters[clusterOf[a]].open;
        for (const g of list) g.classList.toggle("vg-hidden", hidden);
      }
    }

    const marks = [];
    function mark(el, cls) {
      if (!el) return;
      el.classList.add(cls);
      marks.push([el, cls]);
    }

    function drawHighlight() {
      while (marks.length) { const [el, cls] = marks.pop(); el.classList.remove(cls); }
      if (selected >= 0) mark(visibleShape(selected), "vg-selected");
      if (step === 0) return;
      const st = steps[step - 1];
      mark(visibleShape(st.node), "vg-current");
      if (st.phase === "forward" && nodes[st.node].el && shape[`${nodes[st.node].el}_op`]) {
        const c = clusterOfNode[st.node];
        if (c < 0 || clusters[c].open) mark(shape[`${nodes[st.node].el}_op`], "vg-current");
      }
      if (st.from !== undefined) mark(visibleShape(st.from), "vg-upstream");
      for (const [title, m] of st.edges) {
        const list = edges[title];
        if (list && list[m]) mark(list[m], "vg-edge");
      }
    }

    // Keep the current step in view. The shape's place comes from the numbers dot
    // wrote (no getBoundingClientRect(), which would force a layout at every step).
    const placed = new Map();
    function placeOf(el) {
      if (!placed.has(el)) {
        const ellipse = el.querySelector(":scope > ellipse");
        let box;
        if (ellipse) {
          const [cx, cy, rx, ry] = ["cx", "cy", "rx", "ry"].map((a) => Number(ellipse.getAttribute(a)));
          box = { x: cx - rx, y: cy - ry, width: 2 * rx, height: 2 * ry };
        } else {
          box = frameOf(el);
        }
        const m = scene.transform.baseVal.consolidate();
        const t = m ? m.matrix : new DOMMatrix();
        const p = new DOMPoint(box.x, box.y).matrixTransform(t);
        placed.set(el, { x: p.x, y: p.y, width: box.width * t.a, height: box.height * t.d });
      }
      return placed.get(el);
    }
    function follow() {
      if (step === 0) return;
      const el = visibleShape(steps[step - 1].node);
      if (!el) return;
      const r = placeOf(el);
      const inside = r.x >= view.x && r.y >= view.y && r.x + r.width <= view.x + view.w
        && r.y + r.height <= view.y + view.h;
      if (inside) return;
      // centre it; a shape bigger than the view (a closed cluster) shows its top left,
      // where its label is
      view.x = r.width > 0.9 * view.w ? r.x - 0.05 * view.w : r.x + r.width / 2 - view.w / 2;
      view.y = r.height > 0.9 * view.h ? r.y - 0.05 * view.h : r.y + r.height / 2 - view.h / 2;
      applyView();
    }

    // --------------------------------------------------------------- panel
    function drawPanel() {
      const phase = phaseOf(step);
      setText(ui.counter, `step ${step} of ${total}`);
      ui.slider.value = String(step);
      const words = { forward: "forward pass", backward: "backward pass", done: "done" };
      let head = `${words[phase]} \u00b7 step ${step} of ${total}`;
      if (step === 0) head = `ready \u00b7 ${data.forward} forward steps, then ${total - data.forward} backward`;
      setText(ui.phase, head);
      if (step === 0) {
        setText(ui.panel, "Press \u2192 (or next) to compute the first node, or play.");
        setText(ui.formula, "");
      } else {
        const st = steps[step - 1];
        let text = st.text;
        if (st.count > 1) {
          const so = `${nodes[st.node].label}: ${st.index} of ${st.count} contributions, running sum ${st.grad6}`;
          text += `\n${so}`;
        }
        if (phase === "done") text += "\n\ndone: every gradient is computed.";
        setText(ui.panel, text);
        setText(ui.formula, st.formula);
      }
      ui.prev.disabled = step === 0;
      ui.next.disabled = step === total;
      drawDetails();
      drawLeaves();
    }

    function nodeLink(i) {
      const a = make("button", { type: "button", class: "vg-link", "data-node": String(i) }, nodes[i].label);
      a.addEventListener("click", (e) => { e.stopPropagation(); select(i, true); });
      return a;
    }

    function shown(i, what) {
      const v = what === "data" ? current.data[i] : current.grad[i];
      if (v === null) return what === "grad" && nodes[i].kind === "constant" ? "not shown (a constant)" : "not computed yet";
      return what === "data" ? nodes[i].data6 : `${current.grad4[i]}  (${v})`;
    }

    function drawDetails() {
      ui.details.replaceChildren();
      if (selected < 0) return;
      const n = nodes[selected];
      const table = make("table");
      const row = (key, value) => {
        const tr = make("tr");
        tr.appendChild(make("th", {}, key));
        const td = make("td");
        if (value instanceof Node) td.appendChild(value); else td.textContent = value;
        tr.appendChild(td);
        table.appendChild(tr);
      };
      const links = (list) => {
        const span = make("span");
        if (!list.length) span.textContent = "none";
        list.forEach((i, k) => { if (k) span.append(", "); span.appendChild(nodeLink(i)); });
        return span;
      };
      row("node", `${n.label}  (${n.id}, ${n.kind})`);
      row("op", n.op || "leaf");
      if (n.formula) row("formula", n.formula);
      row("data", shown(selected, "data"));
      row("grad", shown(selected, "grad"));
      row("parents", links(n.parents));
      row("children", links(n.children));
      const go = make("span");
      const fwd = make("button", { type: "button", "data-testid": "goto-forward" }, `forward step ${selected + 1}`);
      fwd.addEventListener("click", () => { pause(); goto(selected + 1); });
      go.appendChild(fwd);
      if (gradStep[selected] !== selected + 1) {
        const bwd = make("button", { type: "button", "data-testid": "goto-grad" }, `gradient step ${gradStep[selected]}`);
        bwd.addEventListener("click", () => { pause(); goto(gradStep[selected]); });
        go.append(" ");
        go.appendChild(bwd);
      }
      row("steps", go);
      ui.details.appendChild(table);
    }

    const leavesBox = root.querySelector(".vg-leaves");
    if (leavesBox) leavesBox.hidden = data.leaves.length === 0;
    function drawLeaves() {
      if (!ui.leaves || !data.leaves.length) return;
      const rows = [make("tr")];
      for (const h of ["leaf", "data", "grad"]) rows[0].appendChild(make("th", {}, h));
      for (const i of data.leaves) {
        const tr = make("tr");
        const td = make("td");
        td.appendChild(nodeLink(i));
        tr.appendChild(td);
        tr.appendChild(make("td", {}, current.data[i] === null ? "?" : nodes[i].data6));
        tr.appendChild(make("td", {}, current.grad4[i] === null ? "?" : current.grad4[i]));
        rows.push(tr);
      }
      if (data.leafCount > data.leaves.length) {
        const tr = make("tr");
        tr.appendChild(make("td", { colspan: "3" }, `and ${data.leafCount - data.leaves.length} more`));
        rows.push(tr);
      }
      ui.leaves.replaceChildren(...rows);
    }

    function draw() {
      current = replay(step);
      drawValues();
      drawHighlight();
      drawPanel();
    }

    // ------------------------------------------------------------ navigation
    function goto(i) {
      const s = Number(i);
      if (!Number.isFinite(s)) throw new TypeError(`goto: a step number is needed, got ${i}`);
      step = Math.max(0, Math.min(total, Math.round(s)));
      draw();
      follow();
    }
    function next() { if (step < total) goto(step + 1); }
    function prev() { if (step > 0) goto(step - 1); }
    function reset() { pause(); goto(0); }

    function pause() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      ui.play.textContent = "\u25B6 play";
      ui.play.setAttribute("aria-pressed", "false");
    }
    function play() {
      if (timer !== null) return;
      if (step >= total) goto(0);
      const rate = Math.max(1, Number(ui.speed.value) || 2);
      timer = setInterval(() => { if (step >= total) pause(); else next(); }, 1000 / rate);
      ui.play.textContent = "\u275A\u275A pause";
      ui.play.setAttribute("aria-pressed", "true");
    }
    function togglePlay() { if (timer === null) play(); else pause(); }

    function select(i, jump) {
      selected = i;
      if (jump) { pause(); goto(gradStep[i]); } else draw();
    }

    function state() {
      return {
        step,
        steps: total,
        phase: phaseOf(step),
        nodes: nodes.map((n, i) => ({ id: n.id, label: n.label, data: current.data[i], grad: current.grad[i] })),
      };
    }

    // User actions pause the playback; play keeps stepping with the internal next().
    const user = (fn) => (...args) => { pause(); return fn(...args); };
    ui.next.addEventListener("click", user(next));
    ui.prev.addEventListener("click", user(prev));
    ui.reset.addEventListener("click", reset);
    ui.play.addEventListener("click", togglePlay);
    ui.slider.addEventListener("input", user(() => goto(ui.slider.value)));
    ui.speed.addEventListener("change", () => { if (timer !== null) { pause(); play(); } });

    // The keyboard belongs to the explorer that has the focus (several may share a page).
    root.addEventListener("keydown", (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const tag = e.target.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if ((tag === "BUTTON" || tag === "SUMMARY") && (e.key === " " || e.key === "Enter")) return;
      const keys = {
        ArrowRight: user(next), ArrowLeft: user(prev), " ": togglePlay,
        Home: reset, End: user(() => goto(total)),
      };
      if (!(e.key in keys)) return;
      e.preventDefault();
      keys[e.key]();
    });

    // ------------------------------------------------------------ pan and zoom
    const base = svg.viewBox.baseVal;
    const home = { x: base.x, y: base.y, w: base.width, h: base.height };
    const view = { ...home };
    // The SVG gets its box's size in pixels, kept up to date by a ResizeObserver: with
    // a percentage size, any change in the panel beside it (every step) would make the
    // browser lay the whole drawing out again.
    function resize() {
      const r = ui.graph.getBoundingClientRect();
      svg.setAttribute("width", String(Math.max(1, Math.floor(r.width))));
      svg.setAttribute("height", String(Math.max(1, Math.floor(r.height))));
    }
    resize();
    if (window.ResizeObserver) new ResizeObserver(resize).observe(ui.graph);
    function applyView() { svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`); }
    function toUser(cx, cy) {
      const m = svg.getScreenCTM();
      if (!m) return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
      const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
      return { x: p.x, y: p.y };
    }
    function zoom(factor, cx, cy) {
      const r = svg.getBoundingClientRect();
      const p = toUser(cx ?? r.left + r.width / 2, cy ?? r.top + r.height / 2);
      const w = Math.min(home.w * 8, Math.max(home.w / 200, view.w * factor));
      const f = w / view.w;
      view.x = p.x - (p.x - view.x) * f;
      view.y = p.y - (p.y - view.y) * f;
      view.w *= f;
      view.h *= f;
      applyView();
    }
    function fit() { Object.assign(view, home); applyView(); }

    // The first view: the whole drawing if it is readable that small, else a readable
    // part of it at the inputs' end, where the walk starts (following the steps from
    // there). READABLE pixels per point keeps dot's 10-point text about 8 pixels high.
    const READABLE = 0.8;
    function startView() {
      const r = svg.getBoundingClientRect();
      if (!r.width || !r.height || Math.min(r.width / home.w, r.height / home.h) >= READABLE) {
        fit();
        return;
      }
      const w = Math.min(home.w, r.width / READABLE);
      const h = Math.min(home.h, r.height / READABLE);
      const side = data.rankdir || "LR";
      view.w = w;
      view.h = h;
      view.x = side === "RL" ? home.x + home.w - w : home.x + (side === "LR" ? 0 : (home.w - w) / 2);
      view.y = side === "BT" ? home.y + home.h - h : home.y + (side === "TB" ? 0 : (home.h - h) / 2);
      applyView();
    }
    q("zoom-in").addEventListener("click", () => zoom(1 / 1.4));
    q("zoom-out").addEventListener("click", () => zoom(1.4));
    q("fit").addEventListener("click", fit);
    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      zoom(Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.002))), e.clientX, e.clientY);
    }, { passive: false });

    let press = null;
    let dragged = false;
    svg.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      press = { x: e.clientX, y: e.clientY, view: { ...view }, id: e.pointerId };
      dragged = false;
    });
    svg.addEventListener("pointermove", (e) => {
      if (!press || e.pointerId !== press.id) return;
      const dx = e.clientX - press.x;
      const dy = e.clientY - press.y;
      if (!dragged && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
      if (!dragged) { dragged = true; svg.setPointerCapture(e.pointerId); ui.graph.classList.add("vg-dragging"); }
      const m = svg.getScreenCTM();
      const scale = m ? 1 / m.a : 1;
      view.x = press.view.x - dx * scale;
      view.y = press.view.y - dy * scale;
      applyView();
    });
    const release = () => { press = null; ui.graph.classList.remove("vg-dragging"); };
    svg.addEventListener("pointerup", release);
    svg.addEventListener("pointercancel", release);

    // Clicks: a cover opens its cluster, a node is selected (and its gradient step
    // shown), the frame of an open cluster closes it.
    svg.addEventListener("click", (e) => {
      if (dragged) { dragged = false; return; }
      const cover = e.target.closest(".vg-cover");
      if (cover) { setOpen(Number(cover.getAttribute("data-cluster")), true); return; }
      const g = e.target.closest("g.node");
      if (g) {
        const name = titleOf(g).replace(/_op$/, "");
        const box = boxes[name];
        const i = box ? (box.outputs[0] ?? box.members[0]) : Number(name.slice(1));
        if (Number.isInteger(i) && nodes[i]) select(i, true);
        return;
      }
      const frame = e.target.closest("g.cluster");
      if (frame) {
        const k = clusters.findIndex((c) => c.g === frame);
        if (k >= 0 && clusters[k].open) setOpen(k, false);
      }
    });

    function setOpen(k, open) {
      if (k === "all") clusters.forEach((c) => { c.open = open; });
      else clusters[k].open = open;
      drawClusters();
      draw();
    }
    q("expand-all").addEventListener("click", () => setOpen("all", true));
    q("collapse-all").addEventListener("click", () => setOpen("all", false));
    q("expand-all").hidden = q("collapse-all").hidden = clusters.length === 0;

    root.setAttribute("data-vg-ready", "");
    startView();
    drawClusters();
    draw();

    return {
      next: user(next), prev: user(prev), reset, goto: user(goto), play, pause, state,
      expand: (k) => setOpen(k === undefined ? "all" : k, true),
      collapse: (k) => setOpen(k === undefined ? "all" : k, false),
      root,
    };
  }

  function start() {
    for (const root of document.querySelectorAll(".vg-explorer:not([data-vg-ready])")) {
      window.valuegradExplorers.push(Explorer(root));
    }
    window.valuegradExplorer = window.valuegradExplorers[0];
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// Linked views that answer a hover in the browser, with no server round trip.
//
// One Streamlit v2 component, three lessons (data.kind):
//   "conv":  input | kernel | output; hover an output pixel: its window on the input, the
//            numbers under it, x kernel = products, sum + bias = the output value.
//   "pool":  input map | pooled map; hover a pooled cell: its window, the winner (max) or
//            the mean (average), with every number of the window.
//   "field": a layer's feature maps as one mosaic; hover a cell: its receptive field on the
//            network's 28 x 28 input.
// The numbers come from float32 arrays the server computed, fetched once per content from
// the media URLs in data (never user text spliced into markup: every number is textContent).

const VIEWS = new WeakMap(); // parentElement -> the live view

// Short numbers that keep their meaning: 0.0039 stays 0.0039, 12.5 stays 12.5.
function short(v) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "pad" : v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let text;
  if (a >= 1000) text = v.toFixed(0);
  else if (a >= 0.01) text = v.toFixed(a >= 100 ? 1 : 3).replace(/\.?0+$/, "");
  else text = v.toPrecision(2);
  return text.replace("-", "−");
}

// "rows 0 to 2", or with padding: "rows 0 to 1 and 1 row of padding above" (never a
// negative row number: the picture's rows are numbered from 0, padding has no number).
function spanWords(first, last, n, [row, rows], [before, after]) {
  const lo = Math.max(0, first);
  const hi = Math.min(n - 1, last);
  const padBefore = Math.max(0, -first);
  const padAfter = Math.max(0, last - (n - 1));
  const parts = [];
  if (hi >= lo) parts.push(lo === hi ? `${row} ${lo}` : `${rows} ${lo} to ${hi}`);
  const pads = (k, where) => `${k} ${k === 1 ? row : rows} of padding ${where}`;
  if (padBefore) parts.push(pads(padBefore, before));
  if (padAfter) parts.push(pads(padAfter, after));
  if (hi < lo && !parts.length) parts.push(`${rows} of padding`);
  return parts.join(" and ");
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function fixed(v, digits = 4) {
  return Number.isFinite(v) ? v.toFixed(digits).replace("-", "−") : short(v);
}

function paint(cell, rgb) {
  cell.style.background = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
  cell.style.color = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128 ? "#fff" : "#000";
}

// A table of numbers whose cells are filled in later (built once per shape).
class NumberTable {
  constructor(title, rows, cols) {
    this.node = el("table", "lv-table");
    this.node.createCaption().textContent = title;
    this.cells = [];
    for (let i = 0; i < rows; i++) {
      const tr = this.node.insertRow();
      for (let j = 0; j < cols; j++) this.cells.push(tr.insertCell());
    }
    const small = Math.max(rows, cols) > 7;
    this.node.classList.toggle("lv-mid", Math.max(rows, cols) > 3 && !small);
    this.node.classList.toggle("lv-wide", Math.max(rows, cols) > 4 && !small);
    this.node.classList.toggle("lv-small", small);
    this.node.classList.toggle("lv-tiny", Math.max(rows, cols) > 11);
  }

  fill(values, colour, marked) {
    values.forEach((v, i) => {
      const cell = this.cells[i];
      cell.textContent = short(v);
      paint(cell, colour(v));
      cell.classList.toggle("lv-marked", Boolean(marked && marked[i]));
    });
  }
}

// A picture with boxes laid over it, placed in the picture's own cells (percent units, so
// the boxes follow the picture at any size the page gives it).
class Picture {
  constructor(url, alt, rows, cols) {
    this.node = el("div", "lv-frame");
    this.img = el("img");
    this.img.src = url;
    this.img.alt = alt;
    this.img.draggable = false;
    this.node.append(this.img);
    this.rows = rows;
    this.cols = cols;
    this.node.style.setProperty("--lv-aspect", String(cols / rows));
  }

  box(className) {
    const node = el("div", `lv-box ${className}`);
    this.node.append(node);
    return node;
  }

  place(node, top, left, height, width) {
    node.style.top = `${(100 * top) / this.rows}%`;
    node.style.left = `${(100 * left) / this.cols}%`;
    node.style.height = `${(100 * height) / this.rows}%`;
    node.style.width = `${(100 * width) / this.cols}%`;
    node.hidden = false;
  }

  // (row, col) of the picture cell under a pointer event, or null outside.
  cellAt(event) {
    const r = this.img.getBoundingClientRect();
    const y = (event.clientY - r.top) / r.height;
    const x = (event.clientX - r.left) / r.width;
    if (!(x >= 0 && x < 1 && y >= 0 && y < 1)) return null;
    return [Math.floor(y * this.rows), Math.floor(x * this.cols)];
  }
}

function pane(title, content, caption) {
  const figure = el("figure", "lv-pane");
  if (title) figure.append(el("div", "lv-title", title));
  figure.append(content);
  if (caption) figure.append(el("figcaption", "", caption));
  return figure;
}

// Shared by the three views: which output cell is shown (hover wins over the pinned one),
// Play with a speed and a jump, a scrubber, and the keyboard. Play walks the positions row
// by row, jumping a whole window at a time when asked (so the windows tile the picture
// instead of overlapping), and stops at the last one.
class Stepper {
  constructor(root, onShow, { play = true } = {}) {
    this.root = root;
    this.onShow = onShow;
    this.rows = 1;
    this.cols = 1;
    this.hop = [1, 1]; // output cells per jump when Play jumps a whole window
    this.pinned = [0, 0];
    this.hovered = null;
    this.timer = null;
    this.onLayer = null; // set by a view with layers: called with -1 or +1
    this.bar = el("div", "lv-controls");
    if (play) {
      this.playButton = el("button", "cv-button", "▶ Play");
      this.playButton.type = "button";
      this.playButton.onclick = () => this.toggle();
      const back = el("button", "cv-button", "◀");
      back.type = "button";
      back.title = "One step back";
      back.setAttribute("aria-label", "One step back");
      back.onclick = () => this.step(-1);
      const next = el("button", "cv-button", "▶|");
      next.type = "button";
      next.title = "One step on";
      next.setAttribute("aria-label", "One step on");
      next.onclick = () => this.step(1);
      const jumpLabel = el("label", "cv-label", "Play moves ");
      this.jump = el("select", "lv-select");
      this.jump.setAttribute("aria-label", "How far Play moves the window each step");
      for (const [value, text] of [
        ["window", "a whole window"],
        ["pixel", "one pixel"],
      ]) {
        const option = el("option", "", text);
        option.value = value;
        this.jump.append(option);
      }
      jumpLabel.append(this.jump);
      const speedLabel = el("label", "cv-label", "Speed ");
      this.speed = el("input");
      Object.assign(this.speed, { type: "range", min: 1, max: 60, value: 8 });
      this.speed.setAttribute("aria-label", "Play speed, steps per second");
      this.speedText = el("span", "cv-value");
      this.speed.oninput = () => {
        this.speedText.textContent = `${this.speed.value}/s`;
        if (this.timer) this.start();
      };
      this.speed.oninput();
      this.speed.addEventListener("input", () => (this.speedChosen = true)); // a person's
      speedLabel.append(this.speed, this.speedText);
      const scrubLabel = el("label", "cv-label cv-grow", "Position ");
      this.scrub = el("input");
      Object.assign(this.scrub, { type: "range", min: 0, max: 0, value: 0 });
      this.scrub.setAttribute("aria-label", "Window position, row by row");
      this.scrub.oninput = () => this.pin(this.fromIndex(Number(this.scrub.value)), false);
      scrubLabel.append(this.scrub);
      this.bar.append(back, this.playButton, next, jumpLabel, speedLabel, scrubLabel);
    }
    this.where = el("span", "lv-where");
    this.bar.append(this.where);
    root.addEventListener("keydown", (event) => this.key(event));
  }

  resize(rows, cols, hop = [1, 1]) {
    this.rows = rows;
    this.cols = cols;
    this.hop = hop;
    this.pinned = [Math.min(this.pinned[0], rows - 1), Math.min(this.pinned[1], cols - 1)];
    if (this.scrub) this.scrub.max = rows * cols - 1;
    if (this.jump) {
      // A map of a few hundred positions plays pixel by pixel; a photo's tens of thousands
      // would take hours, so Play jumps a window at a time unless the teacher asks.
      const few = rows * cols <= 400 || (hop[0] === 1 && hop[1] === 1);
      if (!this.jumpChosen) this.jump.value = few ? "pixel" : "window";
      this.jump.onchange = () => {
        this.jumpChosen = true;
        this.pace();
      };
      this.pace();
    }
  }

  // Unless the teacher set a speed: one row of positions in about four seconds (4 to 30
  // steps a second), so a large map is crossed row by row at a pace the eye can follow.
  pace() {
    if (this.speedChosen) return;
    const across = this.jump.value === "window" ? Math.ceil((this.cols - 1) / this.hop[1]) + 1 : this.cols;
    this.speed.value = String(Math.min(30, Math.max(4, Math.round(across / 4))));
    this.speedText.textContent = `${this.speed.value}/s`;
  }

  index([r, c]) {
    return r * this.cols + c;
  }

  fromIndex(i) {
    const n = this.rows * this.cols;
    const k = ((i % n) + n) % n;
    return [Math.floor(k / this.cols), k % this.cols];
  }

  // The next position Play shows after (r, c), or null after the last one.
  nextPlayed([r, c]) {
    const [hr, hc] = this.jump && this.jump.value === "window" ? this.hop : [1, 1];
    const lastRow = this.rows - 1;
    const lastCol = this.cols - 1;
    if (c < lastCol) return [r, Math.min(lastCol, c + hc)]; // the last column is always shown
    if (r < lastRow) return [Math.min(lastRow, r + hr), 0];
    return null;
  }

  shown() {
    return this.hovered || this.pinned;
  }

  show() {
    const [r, c] = this.shown();
    if (this.scrub) this.scrub.value = this.index(this.pinned);
    this.where.textContent = `row ${r}, column ${c}${this.hovered ? " (pointer)" : ""}`;
    this.root.dataset.row = r;
    this.root.dataset.col = c;
    this.onShow(r, c, Boolean(this.timer));
  }

  pin(cell, stop = true) {
    if (stop) this.stop();
    this.pinned = cell;
    this.show();
  }

  hover(cell) {
    this.hovered = cell;
    this.show();
  }

  step(by) {
    this.pin(this.fromIndex(this.index(this.pinned) + by));
  }

  toggle() {
    if (this.timer) this.stop();
    else this.start();
    this.show();
  }

  start() {
    this.hovered = null;
    if (!this.nextPlayed(this.pinned)) this.pinned = [0, 0]; // at the end: play again
    this.root.dataset.ended = "false";
    play(this, () => {
      const next = this.nextPlayed(this.pinned);
      if (!next) {
        this.stop();
        this.root.dataset.ended = "true";
        this.show(); // the last position, explained in full
        return;
      }
      this.pinned = next;
      this.root.dataset.steps = Number(this.root.dataset.steps || 0) + 1;
      this.show();
    });
  }

  stop() {
    pause(this);
  }

  key(event) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (["INPUT", "SELECT"].includes(event.target.tagName)) return; // they keep their keys
    const layerKey = { PageUp: -1, PageDown: 1 }[event.key];
    const shifted = event.shiftKey && (event.key === "ArrowUp" || event.key === "ArrowDown");
    if (this.onLayer && (layerKey || shifted)) {
      this.onLayer(layerKey || (event.key === "ArrowUp" ? -1 : 1));
    } else if (moves[event.key]) {
      const [dr, dc] = moves[event.key];
      const [r, c] = this.pinned;
      this.hovered = null;
      // Past the first or last row of a layer, the arrow goes on to the next layer.
      if (this.onLayer && dr && (r + dr < 0 || r + dr >= this.rows)) this.onLayer(dr);
      else {
        this.pin([
          Math.min(this.rows - 1, Math.max(0, r + dr)),
          Math.min(this.cols - 1, Math.max(0, c + dc)),
        ]);
      }
    } else if (event.key === "Enter" && event.target === this.root) {
      this.pin(this.shown());
    } else if (event.key === " " && this.playButton && event.target === this.root) {
      this.toggle();
    } else if (event.key === "Home") {
      this.pin([0, 0]);
    } else if (event.key === "End") {
      this.pin([this.rows - 1, this.cols - 1]);
    } else {
      return;
    }
    event.preventDefault();
  }

  // Hover, tap and click on a picture whose cells are output cells.
  listen(picture, toCell = (cell) => cell) {
    const node = picture.node;
    node.addEventListener("pointermove", (event) => {
      if (event.pointerType === "touch") return;
      const cell = picture.cellAt(event);
      this.hover(cell ? toCell(cell) : null);
    });
    node.addEventListener("pointerleave", () => this.hover(null));
    node.addEventListener("click", (event) => {
      const cell = picture.cellAt(event);
      if (!cell || !toCell(cell)) return;
      this.hovered = null;
      this.pin(toCell(cell));
      this.root.focus({ preventScroll: true });
    });
  }
}

function legend(limits, stops, label) {
  const bar = el("div", "lv-legend");
  const strip = el("div", "lv-strip");
  strip.style.background = `linear-gradient(to right, ${stops.join(",")})`;
  bar.append(el("span", "", short(limits[0])), strip, el("span", "", short(limits[1])));
  if (label) bar.append(el("span", "lv-legend-label", label));
  return bar;
}

// --- convolution --------------------------------------------------------------------------

class ConvView {
  constructor(root) {
    this.root = root;
    this.stepper = new Stepper(root, (r, c, playing) => this.explain(r, c, playing));
    this.row = el("div", "lv-row");
    this.work = el("div", "lv-work");
    this.say = el("p", "lv-say");
    this.say.setAttribute("aria-live", "polite");
    this.channelBar = el("div", "lv-channels");
    this.meaning = el("p", "lv-meaning");
    root.append(this.row, this.stepper.bar, this.channelBar, this.work, this.say, this.meaning);
    this.channel = 0;
  }

  update(d) {
    this.d = d;
    const [, hp, wp] = d.padded.shape;
    const [, oh, ow] = d.output.shape;
    this.input = new Picture(d.input.url, d.input.alt, hp, wp);
    const [, kh, kw] = d.kernel.shape;
    const [sh, sw] = d.stride;
    const [dh, dw] = d.dilation;
    const [tall, wide] = [dh * (kh - 1) + 1, dw * (kw - 1) + 1];
    // Rows and columns no window reaches (the floor of the size formula): hatched purple,
    // at least a few screen pixels thick so a single row shows.
    const [usedH, usedW] = [(oh - 1) * sh + tall, (ow - 1) * sw + wide];
    this.leftovers = [];
    if (usedH < hp) {
      const strip = this.input.box("lv-unreached");
      this.input.place(strip, usedH, 0, hp - usedH, wp);
      this.leftovers.push(strip);
    }
    if (usedW < wp) {
      const strip = this.input.box("lv-unreached lv-unreached-side");
      this.input.place(strip, 0, usedW, hp, wp - usedW);
      this.leftovers.push(strip);
    }
    this.window = this.input.box("lv-window");
    // With dilation the window samples every dh-th row and dw-th column: each sampled
    // pixel gets its own mark inside a thin outline of the whole span.
    this.dilated = dh > 1 || dw > 1;
    this.window.classList.toggle("lv-span", this.dilated);
    this.taps = this.dilated ? Array.from({ length: kh * kw }, () => this.input.box("lv-tap")) : [];
    this.output = new Picture(d.output.url, d.output.alt, oh, ow);
    this.mark = this.output.box("lv-pixel");
    this.output.node.classList.add("lv-pick");
    // Play's whole-window jump: the next window starts where this one ends.
    this.stepper.resize(oh, ow, [Math.ceil(tall / sh), Math.ceil(wide / sw)]);
    this.stepper.listen(this.output);
    const kernelBox = el("div", "lv-kernel");
    const kernelTable = new NumberTable("", kh, kw);
    kernelTable.fill(d.kernel.values.slice(0, kh * kw), scale(d.signed, -d.kernel.limit, d.kernel.limit));
    kernelBox.append(kernelTable.node);
    const outputPane = pane(d.output.title, this.output.node, d.output.caption);
    outputPane.querySelector("figcaption").classList.add("lv-long");
    outputPane.append(el("figcaption", "lv-short", d.output.shape_caption || ""));
    if (d.output.legend) outputPane.append(legend(d.output.legend, d.output.stops, "output value"));
    this.meaning.textContent = d.output.meaning || ""; // below the sum, in projector mode
    this.row.replaceChildren(
      pane(d.input.title, this.input.node, d.input.caption),
      pane(d.kernel.title, kernelBox, d.kernel.caption),
      outputPane,
    );
    this.buildChannels(d);
    // Each row of the worked sum beyond a 3 x 3 kernel's takes room from the pictures in
    // projector mode, so a 5 x 5 kernel's sum still ends on the first screen.
    const lines = d.kernel.shape[0] === 1 ? 1 : d.padded.shape[0];
    this.root.style.setProperty("--lv-extra", String(Math.max(0, lines * kh - 3)));
    this.tables = null;
    this.values = null; // until the new numbers arrive, nothing is explained with old ones
    this.ready = floats(d.padded).then((values) => {
      this.values = values;
      this.root.dataset.ready = "true";
      this.stepper.show();
    });
    this.ready.catch(() => {
      this.say.textContent = "The numbers could not be loaded: reload the page.";
    });
  }

  buildChannels(d) {
    this.channelBar.replaceChildren();
    const perChannel = d.output.shape[0] > 1; // one kernel on each colour: pick the colour
    if (!perChannel) {
      this.channel = 0;
      return;
    }
    this.channelBar.append(el("span", "cv-label", "Colour channel explained: "));
    ["red", "green", "blue"].forEach((name, i) => {
      const b = el("button", "cv-button", name);
      b.type = "button";
      b.setAttribute("aria-pressed", String(i === this.channel));
      b.onclick = () => {
        this.channel = i;
        this.channelBar.querySelectorAll("button").forEach((x, k) => {
          x.setAttribute("aria-pressed", String(k === i));
        });
        this.stepper.show();
      };
      this.channelBar.append(b);
    });
  }

  // The products of output pixel (r, c), computed from the padded input the server sent.
  compute(r, c) {
    const d = this.d;
    const [C, hp, wp] = d.padded.shape;
    const [kc, kh, kw] = d.kernel.shape;
    const [sh, sw] = d.stride;
    const [dh, dw] = d.dilation;
    const planes = kc === 1 ? [d.output.shape[0] > 1 ? this.channel : 0] : [...Array(C).keys()];
    const lines = [];
    let total = 0;
    for (const [k, plane] of planes.entries()) {
      const patch = [];
      const weights = [];
      const products = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const y = r * sh + i * dh;
          const x = c * sw + j * dw;
          const v = this.values[(plane * hp + y) * wp + x];
          const w = d.kernel.values[(kc === 1 ? 0 : k) * kh * kw + i * kw + j];
          patch.push(v);
          weights.push(w);
          products.push(v * w);
          total += v * w;
        }
      }
      lines.push({ plane, patch, weights, products });
    }
    const value = total + d.bias;
    return { lines, total, value, final: d.relu ? Math.max(0, value) : value };
  }

  ensureTables(count, kh, kw) {
    if (this.tables && this.tables.length === count) return;
    this.work.replaceChildren();
    this.tables = [];
    const names = ["red", "green", "blue"];
    for (let k = 0; k < count; k++) {
      const line = el("div", "lv-line");
      if (count > 1) line.append(el("div", "lv-line-title", `${names[k] || `channel ${k}`}`));
      const t = {
        patch: new NumberTable("input under the window", kh, kw),
        weights: new NumberTable("kernel", kh, kw),
        products: new NumberTable("products", kh, kw),
      };
      // A sign stays with the table it introduces when the line wraps.
      const group = (sign, table) => {
        const g = el("span", "lv-group");
        g.append(el("span", "lv-sign", sign), table.node);
        return g;
      };
      line.append(t.patch.node, group("×", t.weights), group("=", t.products));
      this.work.append(line);
      this.tables.push(t);
    }
    this.sum = el("p", "lv-sum");
    this.work.append(this.sum);
  }

  explain(r, c, playing) {
    if (!this.values) return;
    const d = this.d;
    const [, kh, kw] = d.kernel.shape;
    const [sh, sw] = d.stride;
    const [dh, dw] = d.dilation;
    const top = r * sh;
    const left = c * sw;
    const tall = dh * (kh - 1) + 1;
    const wide = dw * (kw - 1) + 1;
    this.input.place(this.window, top, left, tall, wide);
    this.taps.forEach((tap, k) => {
      this.input.place(tap, top + Math.floor(k / kw) * dh, left + (k % kw) * dw, 1, 1);
    });
    this.output.place(this.mark, r, c, 1, 1);
    const result = this.compute(r, c);
    this.ensureTables(result.lines.length, kh, kw);
    const grey = scale(["#000000", "#ffffff"], 0, 1);
    const signed = scale(d.signed, -d.kernel.limit, d.kernel.limit);
    const biggest = Math.max(1e-12, ...result.lines.flatMap((l) => l.products.map(Math.abs)));
    const productColour = scale(d.signed, -biggest, biggest);
    result.lines.forEach((line, k) => {
      this.tables[k].patch.fill(line.patch, grey);
      this.tables[k].weights.fill(line.weights, signed);
      this.tables[k].products.fill(line.products, productColour);
    });
    const n = kh * kw * result.lines.length;
    const [t, , l] = d.pad;
    const products = n === 1 ? "The only product" : `Sum of the ${n} products`;
    let text = `${products} = ${fixed(result.total)}; plus bias ${short(d.bias)} = ${fixed(result.value)}`;
    if (d.relu) text += `; after ReLU ${fixed(result.final)}`;
    this.sum.textContent = `${text}. This is output pixel (row ${r}, column ${c}).`;
    this.root.dataset.sum = String(result.total);
    this.root.dataset.value = String(result.final);
    const channel = d.output.shape[0] > 1 ? ` of the ${["red", "green", "blue"][this.channel]} channel` : "";
    if (!playing) {
      const [hp, wp] = d.padded.shape.slice(1);
      const [, b, , rr] = d.pad;
      const rowsSeen = spanWords(top - t, top + tall - 1 - t, hp - t - b, ["row", "rows"], ["above", "below"]);
      const colsSeen = spanWords(left - l, left + wide - 1 - l, wp - l - rr, ["column", "columns"], ["on the left", "on the right"]);
      const sampled = this.dilated
        ? ` The ${kh * kw} gold squares are the pixels it multiplies (dilation ${dh} × ${dw}: ` +
          "gaps between them)."
        : "";
      this.say.textContent =
        `Output row ${r}, column ${c}${channel} = ${fixed(result.final)}. The window covers ` +
        `${rowsSeen}; ${colsSeen}.${sampled}`;
    }
  }
}

// --- pooling ------------------------------------------------------------------------------

// The mean written out: every term for a small window, the sum for a large one (a 16 x 16
// window would be a sentence of 256 numbers).
function meanWords(cells, sum) {
  const n = cells.length;
  if (n > 16) return `(sum of the ${n} numbers, ${fixed(sum)}) / ${n}`;
  return `(${cells.map((v) => short(Number.isNaN(v) ? 0 : v)).join(" + ")}) / ${n}`;
}

class PoolView {
  constructor(root) {
    this.root = root;
    this.stepper = new Stepper(root, (r, c, playing) => this.explain(r, c, playing));
    this.row = el("div", "lv-row");
    this.work = el("div", "lv-work");
    this.say = el("p", "lv-say");
    this.say.setAttribute("aria-live", "polite");
    root.append(this.row, this.stepper.bar, this.work, this.say);
  }

  update(d) {
    this.d = d;
    const [h, w] = d.input.shape;
    const [oh, ow] = d.output.shape;
    this.input = new Picture(d.input.url, d.input.alt, h + 2 * d.padding[0], w + 2 * d.padding[1]);
    this.window = this.input.box("lv-window");
    this.winner = this.input.box("lv-winner");
    this.output = new Picture(d.output.url, d.output.alt, oh, ow);
    this.mark = this.output.box("lv-pixel");
    this.output.node.classList.add("lv-pick");
    this.stepper.resize(oh, ow, [Math.ceil(d.size[0] / d.stride[0]), Math.ceil(d.size[1] / d.stride[1])]);
    this.root.style.setProperty("--lv-extra", String(Math.max(0, d.size[0] - 2))); // as conv
    this.stepper.listen(this.output);
    this.row.replaceChildren(
      pane(d.input.title, this.input.node, d.input.caption),
      pane(d.output.title, this.output.node, d.output.caption),
    );
    this.table = null;
    this.values = null;
    floats(d.input.values).then((values) => {
      this.values = values;
      this.root.dataset.ready = "true";
      this.stepper.show();
    });
  }

  explain(r, c, playing) {
    if (!this.values) return;
    const d = this.d;
    const [h, w] = d.input.shape;
    const [kh, kw] = d.size;
    const [sh, sw] = d.stride;
    const [ph, pw] = d.padding;
    const top = r * sh - ph; // in picture coordinates: negative is padding
    const left = c * sw - pw;
    this.input.place(this.window, r * sh, c * sw, kh, kw);
    this.output.place(this.mark, r, c, 1, 1);
    const cells = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const y = top + i;
        const x = left + j;
        cells.push(y < 0 || y >= h || x < 0 || x >= w ? NaN : this.values[y * w + x]);
      }
    }
    let best = -1;
    cells.forEach((v, i) => {
      if (!Number.isNaN(v) && (best < 0 || v > cells[best])) best = i;
    });
    const isMax = d.mode === "max";
    const sum = cells.reduce((a, v) => a + (Number.isNaN(v) ? 0 : v), 0);
    const result = isMax ? cells[best] : sum / cells.length;
    if (!this.table || this.table.cells.length !== cells.length) {
      this.table = new NumberTable("numbers in the window", kh, kw);
      this.sum = el("p", "lv-sum");
      this.work.replaceChildren(this.table.node, this.sum);
    }
    const colour = scale(d.stops, d.limits[0], d.limits[1]);
    this.table.fill(cells, colour, isMax ? cells.map((_, i) => i === best) : null);
    if (isMax && best >= 0) {
      const [wy, wx] = [Math.floor(best / kw), best % kw];
      this.input.place(this.winner, r * sh + wy, c * sw + wx, 1, 1);
      this.root.dataset.winner = `${top + wy},${left + wx}`;
    } else {
      this.winner.hidden = true;
    }
    const where =
      spanWords(top, top + kh - 1, h, ["row", "rows"], ["above", "below"]) +
      "; " +
      spanWords(left, left + kw - 1, w, ["column", "columns"], ["on the left", "on the right"]);
    this.sum.textContent = isMax
      ? `${cells.length === 1 ? "The window's only number" : `The largest of the ${cells.length} numbers`} is ${fixed(result)} (outlined): ` +
        `pooled cell (row ${r}, column ${c}) keeps it. Padding never wins.`
      : `${meanWords(cells, sum)} = ${fixed(result)}: pooled cell (row ${r}, column ${c}). ` +
        "Padding counts as 0.";
    this.root.dataset.value = String(result);
    if (!playing) {
      this.say.textContent = `Pooled cell row ${r}, column ${c} = ${fixed(result)}; its window covers ${where}.`;
    }
  }
}

// --- receptive fields ---------------------------------------------------------------------

// Map cell under picture pixel (y, x) of a mosaic, as one flat grid (map * tile_h + row, col)
// so the arrow keys walk the rows of one map, then the next; null over margins and gaps.
function mosaicCell(m, y, x) {
  const yy = y - m.margin_top;
  const xx = x - m.margin_left;
  if (yy < 0 || xx < 0) return null;
  const down = m.tile_h * m.scale + m.gap;
  const across = m.tile_w * m.scale + m.gap;
  const [tr, dy] = [Math.floor(yy / down), yy % down];
  const [tc, dx] = [Math.floor(xx / across), xx % across];
  const map = tr * m.columns + tc;
  if (tc >= m.columns || map >= m.count) return null;
  if (dy >= m.tile_h * m.scale || dx >= m.tile_w * m.scale) return null;
  return [map * m.tile_h + Math.floor(dy / m.scale), Math.floor(dx / m.scale)];
}

class FieldView {
  constructor(root) {
    this.root = root;
    this.stepper = new Stepper(root, (r, c) => this.explain(r, c), { play: false });
    this.stepper.onLayer = (by) => this.switchLayer(by);
    this.row = el("div", "lv-row lv-field");
    this.layerBar = el("div", "lv-controls lv-layers");
    root.append(this.row); // no Play here: the keys and the pointer move the cell
    this.active = -1;
  }

  // Another layer, by key or button: the same map and cell where the new layer has them.
  switchLayer(by, to = null) {
    const next = to ?? Math.min(this.layers.length - 1, Math.max(0, this.active + by));
    if (next === this.active || !this.layers[next]) return;
    const old = this.layers[this.active] && this.layers[this.active].layer.mosaic;
    const [flat, c] = this.stepper.pinned;
    const m = this.layers[next].layer.mosaic;
    let cell = [0, 0];
    if (old) {
      const map = Math.min(m.count - 1, Math.floor(flat / old.tile_h));
      const r = Math.min(m.tile_h - 1, Math.floor(((flat % old.tile_h) * m.tile_h) / old.tile_h));
      cell = [map * m.tile_h + r, Math.min(m.tile_w - 1, Math.floor((c * m.tile_w) / old.tile_w))];
    }
    this.activate(next);
    this.stepper.hovered = null;
    this.stepper.pin(cell);
    this.layers[next].picture.node.scrollIntoView({ block: "nearest" });
  }

  update(d) {
    this.d = d;
    this.input = new Picture(d.input.url, d.input.alt, d.input.size, d.input.size);
    this.field = this.input.box("lv-window");
    this.field.hidden = true;
    const side = pane(d.input.title, this.input.node, d.input.caption);
    side.classList.add("lv-sticky");
    this.text = el("p", "lv-sum");
    this.text.setAttribute("aria-live", "polite"); // the text alternative of the boxes
    side.append(this.text);
    const stack = el("div", "lv-stack");
    this.layers = d.layers.map((layer, i) => {
      const m = layer.mosaic;
      const picture = new Picture(m.url, m.alt, m.height, m.width);
      const mark = picture.box("lv-pixel");
      mark.hidden = true;
      picture.node.classList.add("lv-pick");
      picture.node.dataset.layer = layer.name;
      const at = (event) => {
        const cell = picture.cellAt(event);
        return cell && mosaicCell(m, cell[0], cell[1]);
      };
      picture.node.addEventListener("pointermove", (event) => {
        if (event.pointerType === "touch") return;
        const cell = at(event);
        if (cell) this.activate(i);
        this.stepper.hover(cell);
      });
      picture.node.addEventListener("pointerleave", () => this.stepper.hover(null));
      picture.node.addEventListener("click", (event) => {
        const cell = at(event);
        if (!cell) return;
        this.activate(i);
        this.stepper.hovered = null;
        this.stepper.pin(cell);
        this.root.focus({ preventScroll: true });
      });
      const one = pane(layer.title, picture.node, layer.caption);
      one.append(legend(layer.legend, layer.stops, "one colour scale for the layer"));
      stack.append(one);
      const entry = { layer, picture, mark, values: null };
      floats(m.values).then((values) => {
        entry.values = values;
        if (this.layers.every((x) => x.values)) {
          this.root.dataset.ready = "true";
          if (this.active < 0) this.activate(0);
          this.stepper.show();
        }
      });
      return entry;
    });
    this.layerButtons = d.layers.map((layer, i) => {
      const b = el("button", "cv-button", layer.name);
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      b.onclick = () => this.switchLayer(0, i);
      return b;
    });
    this.layerBar.replaceChildren(
      el("span", "cv-label", "Layer:"),
      ...this.layerButtons,
      el("span", "lv-hint", "Shift + ↑ ↓ or Page Up / Down: another layer"),
    );
    side.insertBefore(this.layerBar, this.text);
    this.row.replaceChildren(side, stack);
    this.active = -1;
  }

  activate(i) {
    if (i === this.active) return;
    if (this.active >= 0) this.layers[this.active].mark.hidden = true;
    this.active = i;
    this.layerButtons.forEach((b, k) => b.setAttribute("aria-pressed", String(k === i)));
    const m = this.layers[i].layer.mosaic;
    this.stepper.resize(m.count * m.tile_h, m.tile_w);
  }

  explain(flatRow, c) {
    const entry = this.layers[this.active];
    if (!entry || !entry.values) return;
    const { layer, picture, mark, values } = entry;
    const m = layer.mosaic;
    const map = Math.floor(flatRow / m.tile_h);
    const r = flatRow % m.tile_h;
    const [tr, tc] = [Math.floor(map / m.columns), map % m.columns];
    const down = m.tile_h * m.scale + m.gap;
    const across = m.tile_w * m.scale + m.gap;
    picture.place(
      mark,
      m.margin_top + tr * down + r * m.scale,
      m.margin_left + tc * across + c * m.scale,
      m.scale,
      m.scale,
    );
    const f = layer.field;
    const n = this.d.input.size;
    const top = f.start + r * f.jump;
    const left = f.start + c * f.jump;
    const [y0, x0] = [Math.max(0, top), Math.max(0, left)];
    const [y1, x1] = [Math.min(n, top + f.size), Math.min(n, left + f.size)];
    this.input.place(this.field, y0, x0, y1 - y0, x1 - x0);
    const value = values[(map * m.tile_h + r) * m.tile_w + c];
    Object.assign(this.root.dataset, {
      layer: layer.name,
      map: String(map),
      cell: `${r},${c}`,
      value: String(value),
      field: `${y0},${x0},${y1},${x1}`,
    });
    this.stepper.where.textContent = `${layer.name}: map ${map}, row ${r}, column ${c}`;
    const cut = y1 - y0 < f.size || x1 - x0 < f.size ? " (cut by the picture's edge)" : "";
    this.text.textContent =
      `${layer.name} map ${map}, row ${r}, column ${c} = ${fixed(value, 3)}. It sees ` +
      `${f.size} × ${f.size} input pixels: rows ${y0}–${y1 - 1}, columns ${x0}–${x1 - 1}${cut}.`;
  }
}

const KINDS = { conv: ConvView, pool: PoolView, field: FieldView };

export default function (component) {
  const { data, parentElement } = component;
  let view = VIEWS.get(parentElement);
  if (!view || view.kind !== data.kind) {
    const root = el("div", `lv-root lv-${data.kind}`);
    root.tabIndex = 0;
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", data.label);
    // Append, never replace: the parent also holds the <style> Streamlit put there.
    parentElement.querySelectorAll(".lv-root").forEach((old) => old.remove());
    parentElement.append(root);
    view = new KINDS[data.kind](root);
    view.kind = data.kind;
    VIEWS.set(parentElement, view);
  }
  if (view.digest !== data.digest) {
    view.digest = data.digest; // a rerun with the same settings changes nothing on screen
    view.update(data);
  }
  view.root.classList.toggle("lv-projector", Boolean(data.projector));
}

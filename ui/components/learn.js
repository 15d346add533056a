// How a kernel learns: a run the server computed once, played in the browser.
//
// data holds the prepared picture, the target output and every kernel of the run as float32
// files (media URLs, fetched once per content) and the losses as numbers. Each frame draws
// step t: the kernel's nine numbers, its output (computed here from the picture and kernel t,
// the same sum the server's correlate2d makes), the error against the target output, and the
// loss curve up to t. Every number is set as textContent: nothing from the data is markup.

const VIEWS = new WeakMap(); // parentElement -> the live view

function num(v, digits = 2) {
  if (!Number.isFinite(v)) return "—";
  const text = Math.abs(v) >= 1000 ? v.toExponential(1) : v.toFixed(digits);
  return text.replace("-", "−");
}

function lossText(v) {
  if (!Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  return (v >= 0.01 && v < 1000 ? v.toFixed(4) : v.toExponential(2)).replace("-", "−");
}

// A canvas with one canvas pixel per value, enlarged by CSS with square pixels.
class Map2d {
  constructor(rows, cols, alt) {
    this.rows = rows;
    this.cols = cols;
    this.node = el("canvas", "ln-map");
    this.node.width = cols;
    this.node.height = rows;
    this.node.setAttribute("role", "img");
    this.node.setAttribute("aria-label", alt);
    this.node.style.aspectRatio = `${cols} / ${rows}`;
    this.context = this.node.getContext("2d");
    this.image = this.context.createImageData(cols, rows);
  }

  draw(values, colour) {
    const px = this.image.data;
    for (let i = 0; i < this.rows * this.cols; i++) {
      const [r, g, b] = colour(values[i]);
      px[4 * i] = r;
      px[4 * i + 1] = g;
      px[4 * i + 2] = b;
      px[4 * i + 3] = 255;
    }
    this.context.putImageData(this.image, 0, 0);
  }
}

class KernelTable {
  constructor(caption) {
    this.node = el("table", "ln-kernel");
    if (caption) this.node.append(el("caption", "", caption));
    const body = el("tbody");
    this.cells = [];
    for (let i = 0; i < 3; i++) {
      const tr = el("tr");
      for (let j = 0; j < 3; j++) {
        const td = el("td");
        tr.append(td);
        this.cells.push(td);
      }
      body.append(tr);
    }
    this.node.append(body);
  }

  fill(values, colour) {
    values.forEach((v, i) => {
      const cell = this.cells[i];
      const [r, g, b] = colour(v);
      cell.textContent = num(v);
      cell.style.background = `rgb(${r},${g},${b})`;
      cell.style.color = 0.299 * r + 0.587 * g + 0.114 * b < 128 ? "#fff" : "#000";
    });
  }

  hide() {
    this.cells.forEach((cell) => {
      cell.textContent = "?";
      cell.style.background = "";
      cell.style.color = "";
    });
  }
}

function pane(title, content, caption) {
  const figure = el("figure", "ln-pane");
  figure.append(el("div", "ln-title", title), content);
  if (caption) figure.append(el("figcaption", "", caption));
  return figure;
}

function button(text, title, onclick) {
  const b = el("button", "cv-button", text);
  b.type = "button";
  if (title) b.title = title;
  b.onclick = onclick;
  return b;
}

// The loss curve up to the shown step, on a log scale fixed for the whole run.
class Curve {
  constructor() {
    this.node = el("canvas", "ln-curve");
    this.node.setAttribute("role", "img");
    this.node.setAttribute("aria-label", "The loss after each step, on a log scale");
  }

  draw(losses, step) {
    const canvas = this.node;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, canvas.clientWidth);
    const height = Math.max(120, canvas.clientHeight);
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const ink = style.color || "#262730";
    const font = parseFloat(style.fontSize) || 14;
    g.font = `${font}px ${style.fontFamily || "sans-serif"}`;
    const positive = losses.filter((v) => v > 0 && Number.isFinite(v));
    const top = Math.log10(Math.max(...positive, 1e-12));
    const bottom = Math.min(Math.log10(Math.min(...positive, 1)), top - 1);
    const left = font * 5;
    const right = width - font;
    const up = font;
    const down = height - font * 2.2;
    const x = (t) => left + ((right - left) * t) / Math.max(1, losses.length - 1);
    const y = (v) => {
      const lv = Math.log10(Math.max(v, 10 ** bottom));
      return up + ((down - up) * (top - lv)) / (top - bottom || 1);
    };
    g.strokeStyle = "#8888";
    g.fillStyle = ink;
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (let p = Math.ceil(bottom); p <= Math.floor(top); p++) {
      const yy = y(10 ** p);
      g.beginPath();
      g.moveTo(left, yy);
      g.lineTo(right, yy);
      g.stroke();
      g.fillText(p >= -4 && p <= 4 ? (10 ** p).toFixed(Math.max(0, -p)) : `1e${p}`, left - font * 0.4, yy);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    g.fillText("step", (left + right) / 2, down + font * 0.8);
    g.fillText("0", left, down + font * 0.3);
    g.fillText(String(losses.length - 1), right, down + font * 0.3);
    g.save();
    g.translate(font * 0.9, (up + down) / 2);
    g.rotate(-Math.PI / 2);
    g.fillText("loss", 0, -font * 0.5);
    g.restore();
    g.strokeStyle = "#d62728";
    g.lineWidth = 2.5;
    g.beginPath();
    for (let t = 0; t <= step; t++) {
      if (t === 0) g.moveTo(x(t), y(losses[t]));
      else g.lineTo(x(t), y(losses[t]));
    }
    g.stroke();
    g.fillStyle = "#d62728";
    g.beginPath();
    g.arc(x(step), y(losses[step]), 5, 0, 2 * Math.PI);
    g.fill();
  }
}

class LearnView {
  constructor(root) {
    this.root = root;
    this.step = 0;
    this.timer = null;
    this.frames = 0;
    this.row = el("div", "ln-row");
    this.bar = el("div", "ln-controls");
    this.back = button("◀", "One step back", () => this.go(this.step - 1));
    this.playButton = button("▶ Play", "Play the learning", () => this.toggle());
    this.next = button("▶|", "One step on", () => this.go(this.step + 1));
    this.restart = button("|◀", "Back to the start", () => this.go(0));
    const speedLabel = el("label", "cv-label", "Speed ");
    this.speed = el("input");
    Object.assign(this.speed, { type: "range", min: 5, max: 120, step: 5, value: 20 });
    this.speed.setAttribute("aria-label", "Play speed, steps per second");
    this.speedText = el("span", "cv-value ln-value");
    this.speed.oninput = () => {
      this.speedText.textContent = `${this.speed.value} steps/s`;
      if (this.timer) this.start();
    };
    speedLabel.append(this.speed, this.speedText);
    const scrubLabel = el("label", "cv-label cv-grow ln-grow", "Step ");
    this.scrub = el("input");
    Object.assign(this.scrub, { type: "range", min: 0, max: 0, value: 0 });
    this.scrub.setAttribute("aria-label", "Learning step");
    this.scrub.oninput = () => this.go(Number(this.scrub.value), false);
    scrubLabel.append(this.scrub);
    this.where = el("span", "ln-where");
    this.bar.append(this.restart, this.back, this.playButton, this.next, speedLabel, scrubLabel);
    this.status = el("div", "ln-status");
    this.lossNow = el("span", "ln-loss");
    this.gap = el("span", "ln-gap");
    this.status.append(this.where, this.lossNow, this.gap);
    this.curve = new Curve();
    this.say = el("p", "ln-say");
    this.say.setAttribute("aria-live", "polite");
    root.append(this.row, this.bar, this.status, this.curve.node, this.say);
    root.addEventListener("keydown", (event) => this.key(event));
    this.resizer = new ResizeObserver(() => this.values && this.show());
    this.resizer.observe(this.curve.node);
  }

  update(d) {
    this.stop();
    this.d = d;
    this.values = null;
    this.step = 0;
    const [h, w] = d.pictureShape;
    const [oh, ow] = d.outputShape;
    this.picture = new Map2d(h, w, `The picture the kernel learns on, ${h} × ${w} pixels`);
    this.output = new Map2d(oh, ow, "The learning kernel's output at this step");
    this.goal = new Map2d(oh, ow, "The target output");
    this.error = new Map2d(oh, ow, "Output minus target output at this step");
    this.kernel = new KernelTable("");
    this.targetTable = new KernelTable("");
    this.revealed = !d.hidden;
    const targetBox = el("div", "ln-stack");
    targetBox.append(this.targetTable.node);
    if (d.hidden) {
      this.reveal = button("Show it", "Show the hidden kernel's numbers", () => {
        this.revealed = !this.revealed;
        this.reveal.textContent = this.revealed ? "Hide it" : "Show it";
        this.show();
      });
      targetBox.append(this.reveal);
    }
    const outputWord = d.signed ? "blue: below 0, red: above 0" : "dark: low, light: high";
    // Two groups that wrap as wholes: the three outputs always stay side by side.
    const numbers = el("div", "ln-group ln-numbers");
    numbers.append(
      pane("The picture", this.picture.node, `${h} × ${w}, grey`),
      pane("Kernel now", this.kernel.node, "starts as random numbers"),
      pane(`Target: ${d.targetTitle}`, targetBox, "the numbers to find"),
    );
    const outputs = el("div", "ln-group ln-outputs");
    outputs.append(
      pane("Output now", this.output.node, outputWord),
      pane("Target output", this.goal.node, "what the output should be"),
      pane("Error", this.error.node, "output − target: white is 0"),
    );
    this.row.replaceChildren(numbers, outputs);
    this.scrub.max = d.steps;
    this.scrub.value = 0;
    this.speed.oninput();
    this.root.dataset.steps = String(d.steps);
    Promise.all([floats(d.picture), floats(d.targetOutput), floats(d.kernels)])
      .then(([picture, target, kernels]) => {
        if (this.d !== d) return;
        this.values = { picture, target, kernels };
        const grey = scale(["#000000", "#ffffff"], -2.5, 2.5);
        this.picture.draw(picture, grey);
        this.outputColour = d.signed
          ? scale(d.stops, d.limits[0], d.limits[1])
          : scale(["#000000", "#ffffff"], d.limits[0], d.limits[1]);
        const spread = Math.max(Math.abs(d.limits[0]), Math.abs(d.limits[1]));
        this.errorColour = scale(d.stops, -spread, spread);
        this.kernelColour = scale(d.stops, -d.kernelLimit, d.kernelLimit);
        this.goal.draw(target, this.outputColour);
        this.now = new Float32Array(target.length);
        this.diff = new Float32Array(target.length);
        this.root.dataset.ready = "true";
        this.show();
      })
      .catch(() => {
        this.say.textContent = "The numbers could not be loaded: reload the page.";
      });
  }

  // The output of kernel k (nine numbers) on the picture: the sum in every 3 x 3 window.
  compute(k) {
    const { picture } = this.values;
    const [, w] = this.d.pictureShape;
    const [oh, ow] = this.d.outputShape;
    for (let r = 0; r < oh; r++) {
      for (let c = 0; c < ow; c++) {
        let total = 0;
        for (let i = 0; i < 3; i++) {
          const row = (r + i) * w + c;
          total += picture[row] * k[3 * i] + picture[row + 1] * k[3 * i + 1] + picture[row + 2] * k[3 * i + 2];
        }
        this.now[r * ow + c] = total;
        this.diff[r * ow + c] = total - this.values.target[r * ow + c];
      }
    }
  }

  show() {
    if (!this.values) return;
    const d = this.d;
    const t = this.step;
    const k = this.values.kernels.subarray(9 * t, 9 * t + 9);
    this.kernel.fill(Array.from(k), this.kernelColour);
    if (this.revealed) this.targetTable.fill(d.target, this.kernelColour);
    else this.targetTable.hide();
    this.compute(k);
    this.output.draw(this.now, this.outputColour);
    this.error.draw(this.diff, this.errorColour);
    const gap = Math.max(...Array.from(k, (v, i) => Math.abs(v - d.target[i])));
    this.scrub.value = t;
    this.where.textContent = `Step ${t} of ${d.steps}`;
    this.lossNow.textContent = `loss ${lossText(d.losses[t])} (start ${lossText(d.losses[0])})`;
    this.gap.textContent = this.revealed
      ? `largest difference from the target: ${num(gap, 3)}`
      : "largest difference from the target: hidden";
    this.curve.draw(d.losses, t);
    this.frames += 1;
    Object.assign(this.root.dataset, {
      step: String(t),
      loss: String(d.losses[t]),
      kernel: Array.from(k, (v) => v.toFixed(4)).join(","),
      frames: String(this.frames),
    });
    if (!this.timer) {
      this.say.textContent =
        t === d.steps
          ? d.blewUp
            ? "The loss ran away: the steps were too big and overshot. Try a smaller learning rate."
            : `After ${t} steps the loss is ${lossText(d.losses[t])}, down from ${lossText(d.losses[0])}.`
          : `Step ${t}: each of the nine numbers moves by −${num(d.rate, 3)} × its slope.`;
    }
  }

  go(t, stop = true) {
    if (stop) this.stop();
    this.step = Math.min(this.d.steps, Math.max(0, t));
    this.show();
  }

  toggle() {
    if (this.timer) this.stop();
    else {
      if (this.step >= this.d.steps) this.step = 0;
      this.start();
    }
    this.show();
  }

  start() {
    play(this, () => {
      if (this.step >= this.d.steps) {
        this.stop();
        this.show();
        return;
      }
      this.step += 1;
      this.show();
    });
  }

  stop() {
    pause(this);
  }

  key(event) {
    if (event.target.tagName === "INPUT") return; // the sliders keep their own arrow keys
    if (event.key === "ArrowRight") this.go(this.step + 1);
    else if (event.key === "ArrowLeft") this.go(this.step - 1);
    else if (event.key === "Home") this.go(0);
    else if (event.key === "End") this.go(this.d.steps);
    else if (event.key === " " && event.target === this.root) this.toggle();
    else return;
    event.preventDefault();
  }
}

export default function (component) {
  const { data, parentElement } = component;
  let view = VIEWS.get(parentElement);
  if (!view) {
    const root = el("div", "ln-root");
    root.tabIndex = 0;
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", data.label);
    // Append, never replace: the parent also holds the <style> Streamlit put there.
    parentElement.querySelectorAll(".ln-root").forEach((old) => old.remove());
    parentElement.append(root);
    view = new LearnView(root);
    VIEWS.set(parentElement, view);
  }
  if (view.digest !== data.digest) {
    view.digest = data.digest; // a rerun with the same settings leaves the animation alone
    view.update(data);
  }
  view.root.classList.toggle("ln-projector", Boolean(data.projector));
}
